"""Canonical JSON: the exact bytes that the audit chain and the sensor signatures are computed over.

``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` encoded as
UTF-8: keys sorted, no whitespace, non-ASCII characters as themselves, NaN and infinities refused.

>>> canonical_json({"b": 1, "a": [1.5, "é"]})
b'{"a":[1.5,"\\xc3\\xa9"],"b":1}'
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj``; ValueError for NaN or infinity."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
