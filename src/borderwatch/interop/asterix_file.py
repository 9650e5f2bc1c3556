"""ASTERIX from files: raw recordings of data blocks, pcap and pcapng captures (UDP payloads)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from borderwatch.interop.formats import DecodeOptions, DecodeResult


def decode_file(path: Path, opts: DecodeOptions) -> DecodeResult:
    """Decode every datagram of ``path``; with ``opts.sensors`` the records become reports (report contract).

    Each record gets ``t`` (UTC epoch s) from its time of day and the date of the capture timestamp (or
    ``opts.t0``, or the file's modification time for a raw recording)."""
    from borderwatch.interop.asterix import DecodeStats, ReportMapper, decode_bytes, sites_by_code, tod_to_epoch
    from borderwatch.interop.pcap import kind_of, read_datagrams

    cap: Counter[str] = Counter()
    st = DecodeStats()
    mapper = None
    if opts.sensors is not None:
        from borderwatch.sensors.reports import read_sensors

        sites, _ = read_sensors(opts.sensors)
        mapper = ReportMapper(sites_by_code([s.to_dict() for s in sites]))
    fallback = opts.t0 if opts.t0 is not None else Path(path).stat().st_mtime
    out: list[dict[str, Any]] = []
    datagrams = 0
    for ts, data in read_datagrams(path, cap):
        datagrams += 1
        ref = opts.t0 if opts.t0 is not None else ts if ts is not None else fallback
        for rec in decode_bytes(data, st):
            if "tod_s" in rec:
                rec["t"] = round(tod_to_epoch(rec["tod_s"], ref), 3)
            if mapper is None:
                out.append(rec)
                continue
            rep = mapper(rec, ref)
            if rep is not None:
                out.append(rep)
    stats = st.to_dict()
    stats["container"] = kind_of(path)
    stats["datagrams"] = datagrams
    rejected = Counter(stats["rejected"]) + cap
    if mapper is not None:
        rejected += mapper.rejected
        stats["north_markers"] = mapper.north_markers
        stats["sector_crossings"] = mapper.sectors
        stats["reports"] = len(out)
    stats["rejected"] = dict(rejected)
    stats["rejected_total"] = sum(rejected.values())
    return DecodeResult(out, stats)
