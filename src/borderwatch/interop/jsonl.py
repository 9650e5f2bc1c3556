"""JSON-lines reading shared by every record reader (truth, reports, tracks).

Blank lines are skipped; a line that is not UTF-8, not JSON or not a JSON object is counted in ``rejected``
under ``line: not UTF-8`` / ``line: not JSON`` / ``line: not an object`` and skipped, so a reader never stops
on one bad line (a number of more than 4,300 digits and arrays nested thousands deep count as not JSON).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from borderwatch.errors import InputError


def iter_objects(
    path: Path | str, rejected: Counter[str], *, progress: Callable[[int, int], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSON-lines file, counting the lines that are not objects. ``progress`` is
    called with (bytes read, file size) every 4,096 lines and at the end.

    >>> import tempfile, collections
    >>> p = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> _ = p.write_text('{"a": 1}\\n\\nnot json\\n[1]\\n')
    >>> rej = collections.Counter()
    >>> list(iter_objects(p, rej)), dict(rej)
    ([{'a': 1}], {'line: not JSON': 1, 'line: not an object': 1})
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    size = p.stat().st_size
    with p.open("rb") as fh:
        for n, raw in enumerate(fh):
            if progress is not None and n % 4096 == 0:
                progress(fh.tell(), size)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                rejected["line: not UTF-8"] += 1
                continue
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except (ValueError, RecursionError):  # JSONDecodeError, and int() of > 4,300 digits
                rejected["line: not JSON"] += 1
                continue
            if not isinstance(d, dict):
                rejected["line: not an object"] += 1
                continue
            yield d
        if progress is not None:
            progress(size, size)
