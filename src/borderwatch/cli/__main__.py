"""``python -m borderwatch.cli``."""

from borderwatch.cli import main

main()
