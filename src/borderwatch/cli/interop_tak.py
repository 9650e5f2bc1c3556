"""CLI: ``borderwatch export`` (GeoPackage/GeoJSON/KML), ``borderwatch adsb decode`` (SBS-1, Beast) and
``borderwatch cot`` (encode a run's tracks and alerts as CoT, decode a CoT file) — thin shells over
:mod:`borderwatch.interop`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli.common import console, err_console, handle_errors

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app
adsb_app = typer.Typer(help="ADS-B receiver formats: SBS-1 BaseStation text and Beast binary.", no_args_is_help=True)
cot_app = typer.Typer(help="Cursor-on-Target: encode tracks and alerts, decode events.", no_args_is_help=True)
app.add_typer(adsb_app, name="adsb")
app.add_typer(cot_app, name="cot")


@app.command("export")
@handle_errors
def export_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Run folders, mobility outputs, register folders or files.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="OUT.gpkg, OUT.geojson or OUT.kml.")],
    layers: Annotated[
        str | None, typer.Option("--layers", help="Comma-separated layers to keep (default: all found).")
    ] = None,
) -> None:
    """Export tracks, alerts, chokepoints, plans and border events as GIS layers (WGS 84)."""
    from borderwatch.errors import InputError
    from borderwatch.interop.export import GEOMETRY, collect, write

    got = collect(paths)
    if layers:
        keep = [x.strip() for x in layers.split(",") if x.strip()]
        bad = [x for x in keep if x not in GEOMETRY]
        if bad:
            raise InputError(f"unknown layer {bad[0]!r} (known: {', '.join(GEOMETRY)})", field="--layers")
        got.layers = {k: v for k, v in got.layers.items() if k in keep}
    if not any(got.layers.values()):
        raise InputError("no features to export in the given inputs", source=", ".join(map(str, paths)))
    n = write(got, out)
    summary = ", ".join(f"{k} {len(v)}" for k, v in got.layers.items() if v)
    console.print(f"{out}: {n} features ({summary})")
    if got.rejected:
        err_console.print(f"skipped: {dict(got.rejected)}")


def _ref(ref: str | None) -> tuple[float, float] | None:
    from borderwatch.errors import InputError

    if ref is None:
        return None
    try:
        lat, lon = (float(x) for x in ref.split(","))
    except ValueError:
        raise InputError(f"expected LAT,LON in degrees, got {ref!r}", field="--ref") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError("outside [-90, 90] x [-180, 180]", field="--ref")
    return lat, lon


@adsb_app.command("decode")
@handle_errors
def adsb_decode_cmd(
    file: Annotated[Path, typer.Argument(help="A capture: SBS-1 text (.txt/.csv/.gz) or Beast binary.")],
    fmt: Annotated[str | None, typer.Option("--format", help="sbs or beast (default: guessed).")] = None,
    sensor: Annotated[str, typer.Option("--sensor", help="Sensor id for the reports.")] = "adsb",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="reports.jsonl to write (else stdout).")] = None,
    t0: Annotated[float | None, typer.Option("--t0", help="Beast: UTC epoch of the first frame.")] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Beast: receiver LAT,LON (rejects positions beyond 600 km).")
    ] = None,
    decoder: Annotated[
        str, typer.Option("--decoder", help="Beast: builtin, or pymodes (needs borderwatch[modes], GPL-3.0).")
    ] = "builtin",
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON on stderr.")] = False,
) -> None:
    """Decode an ADS-B capture into reports of the report contract (reports.jsonl lines)."""
    from borderwatch.errors import InputError

    if not file.is_file():
        raise InputError("file not found", source=str(file))
    kind = fmt or _guess(file)
    if kind == "sbs":
        from borderwatch.interop.sbs import decode_sbs_file

        res = decode_sbs_file(str(file), sensor=sensor)
    elif kind == "beast":
        from borderwatch.interop.beast import decode_beast_file

        res = decode_beast_file(str(file), sensor=sensor, t0=t0, ref=_ref(ref), decoder=decoder)
    else:
        raise InputError(f"expected sbs or beast, got {kind!r}", field="--format")
    recs: list[dict[str, object]] = res["records"]  # type: ignore[assignment]
    text = "".join(json.dumps(r) + "\n" for r in recs)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    counts = {"format": kind, "reports": len(recs), "rejected": res["rejected"], "skipped": res["skipped"]}
    if as_json:
        err_console.print_json(json.dumps(counts))
    else:
        err_console.print(f"{file}: {len(recs)} reports ({kind}); rejected {res['rejected'] or 'none'}")
    if not recs:
        raise InputError(f"no report decoded (rejected: {res['rejected']}); is it a {kind} capture?", source=str(file))


def _guess(p: Path) -> str:
    import gzip

    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rb") as fh:
        head = fh.read(4096)
    if head.startswith((b"MSG,", b"SEL,", b"ID,", b"AIR,", b"STA,", b"CLK,")):
        return "sbs"
    if head[:1] == b"\x1a":
        return "beast"
    return "sbs" if head[:1].isalpha() else "beast"


@cot_app.command("encode")
@handle_errors
def cot_encode_cmd(
    run: Annotated[Path, typer.Argument(help="A run folder with tracks.jsonl (and assessments.jsonl, alerts.jsonl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="File of CoT events (.xml) or TAK protobuf (.bin).")],
    last_only: Annotated[bool, typer.Option("--last", help="Only each track's last position.")] = False,
) -> None:
    """Encode a run's tracks and alerts as CoT (one event per track emit and per alert)."""
    from borderwatch.errors import InputError
    from borderwatch.interop.cot import alert_event, to_proto, to_xml, track_event

    tp = run / "tracks.jsonl"
    if not tp.is_file():
        raise InputError("no tracks.jsonl", source=str(run))
    ass: dict[str, dict[str, object]] = {}
    apath = run / "assessments.jsonl"
    rows_a = [json.loads(x) for x in apath.read_text().splitlines() if x.strip()] if apath.is_file() else []
    rows_t = [json.loads(x) for x in tp.read_text().splitlines() if x.strip()]
    if last_only:
        rows_t = list({r["track"]: r for r in rows_t}.values())
    events = []
    ia = 0
    rows_a.sort(key=lambda r: r["t"])
    for r in sorted(rows_t, key=lambda r: r["t"]):
        while ia < len(rows_a) and rows_a[ia]["t"] <= r["t"]:
            ass[str(rows_a[ia]["track"])] = rows_a[ia]
            ia += 1
        events.append(track_event(r, ass.get(str(r["track"]))))
    alp = run / "alerts.jsonl"
    if alp.is_file():
        events += [alert_event(json.loads(x)) for x in alp.read_text().splitlines() if x.strip()]
    if out.suffix == ".bin":
        out.write_bytes(b"".join(to_proto(e, stream=True) for e in events))
    else:
        out.write_text("".join(to_xml(e) + "\n" for e in events), encoding="utf-8")
    console.print(f"{out}: {len(events)} CoT events")


@cot_app.command("decode")
@handle_errors
def cot_decode_cmd(file: Annotated[Path, typer.Argument(help="A file of CoT XML events.")]) -> None:
    """Decode CoT XML events to JSON lines (uid, type, how, times, point, callsign, remarks)."""
    from borderwatch.errors import InputError
    from borderwatch.interop.cot import decode_cot_file

    if not file.is_file():
        raise InputError("file not found", source=str(file))
    res = decode_cot_file(str(file))
    for r in res["records"]:  # type: ignore[attr-defined]
        sys.stdout.write(json.dumps(r) + "\n")
    if res["rejected"]:
        err_console.print(f"rejected: {res['rejected']}")
