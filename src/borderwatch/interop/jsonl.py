"""JSON-lines reading shared by every record reader (truth, reports, tracks).

Blank lines are skipped; a line that is not JSON or not a JSON object is counted in ``rejected`` under
``line: not JSON`` / ``line: not an object`` and skipped, so a reader never stops on one bad line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from borderwatch.errors import InputError


def iter_objects(path: Path | str, rejected: Counter[str]) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSON-lines file, counting the lines that are not objects.

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
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                rejected["line: not JSON"] += 1
                continue
            if not isinstance(d, dict):
                rejected["line: not an object"] += 1
                continue
            yield d
