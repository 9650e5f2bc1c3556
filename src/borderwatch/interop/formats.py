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
    "sbs": "borderwatch.interop.formats:_sbs",
    "beast": "borderwatch.interop.formats:_beast",
    "cot": "borderwatch.interop.formats:_cot",
    "sapient": "borderwatch.interop.sapient:decode_file",
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


def _counts(out: dict[str, object]) -> DecodeResult:
    recs = out.get("records")
    stats = {k: v for k, v in out.items() if k != "records"}
    return DecodeResult(list(recs) if isinstance(recs, list) else [], stats)


def _sbs(path: Path, opts: DecodeOptions) -> DecodeResult:
    """SBS-1 BaseStation text (``borderwatch.interop.sbs``); options: ``sensor``, ``time_source``."""
    from borderwatch.interop.sbs import decode_sbs_file

    kw = {k: opts.extra[k] for k in ("sensor", "time_source", "utc_offset_s") if k in opts.extra}
    return _counts(decode_sbs_file(str(path), **kw))


def _beast(path: Path, opts: DecodeOptions) -> DecodeResult:
    """Beast binary (``borderwatch.interop.beast``); ``t0`` dates the MLAT clock."""
    from borderwatch.interop.beast import decode_beast_file

    kw = {k: opts.extra[k] for k in ("sensor", "decoder") if k in opts.extra}
    return _counts(decode_beast_file(str(path), t0=opts.t0, **kw))


def _cot(path: Path, opts: DecodeOptions) -> DecodeResult:
    """Cursor-on-Target XML events (``borderwatch.interop.cot``)."""
    from borderwatch.interop.cot import decode_cot_file

    return _counts(decode_cot_file(str(path)))
