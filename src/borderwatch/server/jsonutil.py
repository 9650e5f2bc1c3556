"""JSON for the wire: engine records (dataclasses, tuples, numpy scalars) to plain JSON, non-finite as null."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any


def plain(obj: Any) -> Any:
    """A JSON-ready copy of ``obj``: mappings, sequences, dataclasses, ``to_dict()`` records, numpy scalars.

    >>> plain({"a": (1, float("nan")), "b": {2}})
    {'a': [1, None], 'b': [2]}
    """
    if obj is None or isinstance(obj, str | bool | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain(v) for v in obj]
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return plain({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    item = getattr(obj, "item", None)  # numpy scalar
    if callable(item):
        return plain(item())
    tolist = getattr(obj, "tolist", None)  # numpy array
    if callable(tolist):
        return plain(tolist())
    if hasattr(obj, "value") and isinstance(obj.value, str | int):  # enums
        return obj.value
    return str(obj)


def dumps(obj: Any) -> bytes:
    return json.dumps(plain(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
