"""The decoders of ``borderwatch interop decode --format NAME``: name -> ``"module:function"``.

Each function is ``decode_file(path: Path, opts: DecodeOptions) -> DecodeResult`` and is imported only when its
format is asked for (``borderwatch --help`` stays fast). To add a format, add one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DECODERS: dict[str, str] = {
    "asterix": "borderwatch.interop.asterix_file:decode_file",
}


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """``sensors``: sensors.json to turn decoded records into reports of its sensors; ``t0``: UTC epoch s that
    dates times of day (default: capture timestamps, else the file's modification time)."""

    sensors: Path | None = None
    t0: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DecodeResult:
    """``records``: decoded records (or reports, with ``sensors``); ``stats``: counts and rejections by reason."""

    records: list[dict[str, Any]]
    stats: dict[str, Any]


Decoder = Callable[[Path, DecodeOptions], DecodeResult]


def get(name: str) -> Decoder:
    """The decoder of format ``name`` (KeyError if unknown)."""
    mod, _, fn = DECODERS[name].partition(":")
    f: Decoder = getattr(importlib.import_module(mod), fn)
    return f
