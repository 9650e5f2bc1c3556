"""JSON for the wire: engine records (dataclasses, tuples, numpy scalars) to plain JSON, non-finite as null.

Encoding goes through orjson (Apache-2.0/MIT): it writes dicts, lists, tuples, strings, numbers, enums and numpy
arrays and scalars natively (NaN and ±inf as ``null``), and hands everything else — records with ``to_dict()``,
other dataclasses, sets — to :func:`_default`. At the live service's rates (thousands of reports and deltas a
second) the pure-Python walk this replaced was the largest single cost of an engine step.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import orjson

_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def _default(obj: Any) -> Any:
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, set | frozenset):
        return list(obj)
    tolist = getattr(obj, "tolist", None)  # numpy arrays and scalars of dtypes orjson does not know
    if callable(tolist):
        return tolist()
    value = getattr(obj, "value", None)
    if isinstance(value, str | int):
        return value
    return str(obj)


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON of ``obj``; non-finite floats become ``null``.

    >>> dumps({"a": (1, float("nan")), "b": {2}})
    b'{"a":[1,null],"b":[2]}'
    """
    try:
        return orjson.dumps(obj, default=_default, option=_OPTS)
    except (TypeError, orjson.JSONEncodeError):
        # integers beyond 64 bits, or a default() that returned something orjson cannot write: the slow walk
        return orjson.dumps(_plain_walk(obj), option=_OPTS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def plain(obj: Any) -> Any:
    """A JSON-ready copy of ``obj``: mappings, sequences, dataclasses, ``to_dict()`` records, numpy scalars.

    >>> plain({"a": (1, float("nan")), "b": {2}})
    {'a': [1, None], 'b': [2]}
    """
    return orjson.loads(dumps(obj))


def _plain_walk(obj: Any) -> Any:
    if obj is None or isinstance(obj, str | bool):
        return obj
    if isinstance(obj, int):
        return obj if -(2**63) <= obj < 2**64 else str(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _plain_walk(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_plain_walk(v) for v in obj]
    conv = _default(obj)
    return conv if isinstance(conv, str) else _plain_walk(conv)
