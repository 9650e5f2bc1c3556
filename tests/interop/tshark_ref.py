"""Wireshark's ASTERIX dissector (Debian's tshark) as the independent reference decoder of the tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def tshark() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        if os.environ.get("CI") == "true":
            raise AssertionError("tshark is missing in CI (scripts/ensure_tshark.sh installs it)")
        pytest.skip("tshark is not installed (bash scripts/ensure_tshark.sh)")
    return exe


def _list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else [x]


def dissect(pcap: Path, ports: str = "1-65535") -> list[list[tuple[int, dict[str, Any]]]]:
    """Per frame, the (category, record dict) of every ASTERIX record, in order."""
    out = subprocess.run(
        [tshark(), "-r", str(pcap), "-d", f"udp.port=={ports},asterix", "-T", "json", "--no-duplicate-keys"],
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout
    frames = []
    for pkt in json.loads(out):
        recs: list[tuple[int, dict[str, Any]]] = []
        for blk in _list(pkt["_source"]["layers"].get("asterix", [])):
            cat = int(blk["asterix.category"])
            for m in _list(blk.get("asterix.message", [])):
                recs.append((cat, m))
        frames.append(recs)
    return frames


def val(rec: dict[str, Any], item: str, sub: str | None = None, cat: int = 48) -> Any:
    """A value of the tshark record: ``item`` e.g. ``040``, ``sub`` e.g. ``RHO`` (None: the element's VALUE)."""
    it = rec.get(f"asterix.{cat:03d}_{item}")
    if it is None:
        return None
    key = f"asterix.{cat:03d}_{item}_{sub or 'VALUE'}"
    if isinstance(it, dict) and key in it:
        return it[key]
    return None


def num(x: Any) -> float | None:
    if x is None:
        return None
    s = str(x)
    return float(int(s, 16)) if s.startswith("0x") else float(s)
