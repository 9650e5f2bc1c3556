"""``borderwatch interop decode | encode``: the formats other systems speak (ASTERIX; the registry of decoders
is :mod:`borderwatch.interop.formats`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from borderwatch.cli.common import console, handle_errors

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app
io = typer.Typer(help="Read and write ASTERIX (and other interchange formats).", no_args_is_help=True)
app.add_typer(io, name="interop")


def _t0(value: str | None) -> float | None:
    if value is None:
        return None
    from datetime import datetime

    from borderwatch.errors import InputError

    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InputError(f"{value!r} is neither epoch seconds nor ISO 8601", field="--t0") from None


@io.command("decode")
@handle_errors
def decode_cmd(
    file: Annotated[Path, typer.Argument(help="Recording: raw ASTERIX data blocks, pcap or pcapng.")],
    fmt: Annotated[str, typer.Option("--format", help="Format of the file (asterix, ...).")] = "asterix",
    as_json: Annotated[bool, typer.Option("--json", help="Print {records, stats} as one JSON document.")] = False,
    sensors: Annotated[
        Path | None, typer.Option("--sensors", help="sensors.json (with sac/sic) to turn records into reports.")
    ] = None,
    t0: Annotated[
        str | None, typer.Option("--t0", help="Date the times of day: UTC epoch s or ISO 8601 (default: capture).")
    ] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the records as JSON lines.")] = None,
) -> None:
    """Decode a recording; rejected input is counted by reason, never fatal."""
    from borderwatch.errors import InputError
    from borderwatch.interop import formats

    if fmt not in formats.DECODERS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(sorted(formats.DECODERS))})", field="--format")
    if not file.is_file():
        raise InputError("file not found", source=str(file))
    res = formats.get(fmt)(file, formats.DecodeOptions(sensors=sensors, t0=_t0(t0)))
    if out is not None:
        with out.open("w", encoding="utf-8") as fh:
            for r in res.records:
                fh.write(json.dumps(r, separators=(",", ":")) + "\n")
    if as_json:
        sys.stdout.write(json.dumps({"format": fmt, "file": str(file), "records": res.records, "stats": res.stats}))
        sys.stdout.write("\n")
        return
    s = res.stats
    console.print(f"{file}: {len(res.records)} records decoded")
    for k, v in s.items():
        if k not in ("rejected",):
            console.print(f"  {k}: {v}")
    for reason, n in sorted(s.get("rejected", {}).items(), key=lambda kv: -kv[1]):
        console.print(f"  rejected {n:>6} × {reason}")
    for r in res.records[:5]:
        console.print("  " + json.dumps(r))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    from collections import Counter

    from borderwatch.interop.jsonl import iter_objects

    rej: Counter[str] = Counter()
    return list(iter_objects(path, rej))


@io.command("encode")
@handle_errors
def encode_cmd(
    file: Annotated[Path, typer.Argument(help="tracks.jsonl (CAT062) or reports.jsonl (CAT048, needs --sensors).")],
    cat: Annotated[str, typer.Option("--cat", help="cat062 (tracks) or cat048 (radar reports).")] = "cat062",
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Output file: .pcap for a capture, else raw data blocks.")
    ] = None,
    udp: Annotated[str | None, typer.Option("--udp", help="Also send each datagram to HOST:PORT.")] = None,
    sensors: Annotated[Path | None, typer.Option("--sensors", help="sensors.json with sac/sic (cat048).")] = None,
    sac: Annotated[int, typer.Option("--sac", min=0, max=255, help="CAT062 System Area Code.")] = 0,
    sic: Annotated[int, typer.Option("--sic", min=0, max=255, help="CAT062 System Identification Code.")] = 1,
    ref: Annotated[
        str | None, typer.Option("--ref", help="LAT,LON of the CAT062 Cartesian origin (default: mean position).")
    ] = None,
) -> None:
    """Write tracks as CAT062 (or radar reports as CAT048 + CAT034) to a file and/or UDP."""
    from borderwatch.errors import InputError

    rows = _read_jsonl(file)
    datagrams: list[tuple[float, bytes]] = []
    if cat == "cat062":
        from borderwatch.interop.asterix_encode import Cat062Encoder

        if ref is not None:
            try:
                la, lo = (float(x) for x in ref.split(","))
            except ValueError:
                raise InputError(f"{ref!r} is not LAT,LON", field="--ref") from None
            origin = (la, lo)
        elif rows:
            origin = (sum(float(r["lat"]) for r in rows) / len(rows), sum(float(r["lon"]) for r in rows) / len(rows))
        else:
            origin = (0.0, 0.0)
        enc = Cat062Encoder(sac=sac, sic=sic, ref=origin)
        by_t: dict[float, list[dict[str, Any]]] = {}
        for r in rows:
            by_t.setdefault(float(r["t"]), []).append(r)
        for t in sorted(by_t):
            datagrams += [(t, b) for b in enc.datagrams(by_t[t])]
    elif cat == "cat048":
        from borderwatch.interop.asterix import sites_by_code
        from borderwatch.interop.asterix_encode import encode_reports_cat048

        if sensors is None:
            raise InputError("cat048 needs --sensors sensors.json with sac/sic on the radars", field="--sensors")
        sens = json.loads(sensors.read_text(encoding="utf-8"))["sensors"]
        coded = sites_by_code(sens)
        codes = {s.id: k for k, s in coded.items()}
        sites = {s.id: s for s in coded.values()}
        scan = {s["id"]: float(s.get("scan_period_s", 1.0)) for s in sens if s["id"] in codes}
        period = min(scan.values()) if scan else 1.0
        datagrams = encode_reports_cat048(rows, codes, sites, scan_s=period)
    else:
        raise InputError(f"unknown {cat!r} (cat062 or cat048)", field="--cat")
    if out is not None:
        if out.suffix in (".pcap", ".cap"):
            from borderwatch.interop.pcap import write_pcap

            write_pcap(out, datagrams)
        else:
            out.write_bytes(b"".join(b for _, b in datagrams))
    if udp is not None:
        import socket

        from borderwatch.interop.udp import parse_endpoint

        ep = parse_endpoint(udp, what="--udp", default_host="127.0.0.1")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, b in datagrams:
                s.sendto(b, (ep.host, ep.port))
    console.print(f"{len(rows)} lines -> {len(datagrams)} datagrams ({sum(len(b) for _, b in datagrams)} bytes)")
