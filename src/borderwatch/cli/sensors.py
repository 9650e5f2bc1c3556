"""Sensor commands of the ``borderwatch`` CLI: acoustic detect and node, coverage, layout, radar Pd plot.

Registered on the main app by :func:`register` (one call at the end of ``cli.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli.common import console, handle_errors, progress_bar

acoustic_app = typer.Typer(help="Acoustic nodes: detect drones in real recordings.", no_args_is_help=True)
layout_app = typer.Typer(help="Sensor layouts.", no_args_is_help=True)
radar_app = typer.Typer(help="Radars.", no_args_is_help=True)

LayoutOpt = Annotated[
    str | None, typer.Option("--layout", help="Shipped layout name or layout YAML file (default: latvia-east-default).")
]

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app

app.add_typer(acoustic_app, name="acoustic")
app.add_typer(layout_app, name="layout")
app.add_typer(radar_app, name="radar")


@acoustic_app.command("detect")
@handle_errors
def acoustic_detect(
    files: Annotated[list[Path], typer.Argument(help="Sound files (WAV, FLAC, …; any rate ≥ 8 kHz, any channels).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Slide 1 s windows (hop 0.25 s) and print detection events.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="P(drone) at or above which a window is a detection (default: the "
            "model's; with the piston branch, 1 % false alarms).",
            min=0.0,
            max=1.0,
        ),
    ] = None,
    physics: Annotated[
        bool, typer.Option("--physics", help="Use the unlearned comb/persistence score of issue 3 instead.")
    ] = False,
) -> None:
    """Score recordings with the learned detector: score = calibrated P(drone) (mean over 1 s windows).

    Classes: multirotor, piston (fixed-wing piston engine, Shahed class; learned from synthetic signatures
    only), other. DRONE when the score or the piston branch reaches its threshold (together set for 1 %
    false alarms; --threshold moves the score's). ``--stream`` prints detection events (start, end, peak score,
    class) per file. A file that cannot be scored is named with its problem on one line of stderr; the others
    are still scored."""
    from borderwatch.errors import BorderwatchError, InputError

    if physics:
        if stream:
            raise InputError("--stream works with the learned detector only", field="--physics")
        _physics_detect(files, as_json)
        return
    from borderwatch.sensors.acoustic.learned import detect_stream, load_detector, score_file

    det = load_detector()
    thr = det.threshold if threshold is None else threshold
    results: list[dict[str, object]] = []
    rejected = 0
    with progress_bar("scoring") as cb:
        for i, f in enumerate(files):
            try:
                if stream:
                    evs, n, st = detect_stream(f, det, thr)
                    results.append({"file": str(f), "windows": n, "threshold": round(thr, 4),
                                    "clipped_share": round(st.clipped_share, 5),
                                    "events": [e.as_dict() for e in evs]})  # fmt: skip
                else:
                    r = score_file(f, det)
                    hint = max(("multirotor", "piston"), key=lambda k: r.class_probs[k])
                    probs = {k: round(v, 4) for k, v in r.class_probs.items()}
                    drone = r.score >= thr or (det.piston is not None and r.piston_score >= det.piston[2])
                    results.append({"file": str(f), "score": round(r.score, 4), "drone": drone,
                                    "class_hint": hint, "class_probs": probs,
                                    "piston_score": round(r.piston_score, 4), "windows": r.windows,
                                    "silent": r.silent, "clipped_share": round(r.clipped_share, 5)})  # fmt: skip
            except BorderwatchError as exc:
                rejected += 1
                print(f"skipped: {exc}", file=sys.stderr)
            cb(i + 1, len(files))
    if as_json:
        print(json.dumps(results))
    else:
        for res in results:
            notes = []
            if res.get("silent"):
                notes.append("silent")
            if float(str(res["clipped_share"])) > 0.001:
                notes.append(f"clipped {100 * float(str(res['clipped_share'])):.1f} %")
            note = f"  ({', '.join(notes)})" if notes else ""
            if stream:
                evs_d = res["events"]
                assert isinstance(evs_d, list)
                console.print(
                    f"{res['file']}: {len(evs_d)} event(s) in {res['windows']} windows{note}", highlight=False
                )
                for e in evs_d:
                    console.print(
                        f"  {e['start_s']:9.2f} – {e['end_s']:9.2f} s  peak {e['peak_score']:.3f} at "
                        f"{e['peak_s']:.2f} s  {e['class_hint']}",
                        highlight=False,
                    )
            else:
                flag = "DRONE" if res["drone"] else "-----"
                hint = str(res["class_hint"]) if res["drone"] else ""
                console.print(
                    f"{float(str(res['score'])):6.3f}  {flag}  {hint:10s}  {res['file']}{note}", highlight=False
                )
    if rejected:
        print(f"rejected {rejected} of {len(files)} file(s)", file=sys.stderr)
        if not results:
            raise InputError("no readable sound file")


@acoustic_app.command("node")
@handle_errors
def acoustic_node(
    file: Annotated[Path, typer.Argument(help="Multichannel recording of the node's array (one channel per mic).")],
    array: Annotated[
        Path,
        typer.Option(
            "--array", help="Array file (YAML/JSON): 'mics' (east, north, up in m per channel) or 'ring_mics: N'."
        ),
    ],
    sensor: Annotated[str, typer.Option("--sensor", help="Sensor id written into the reports.")],
    t0: Annotated[str, typer.Option("--t0", help="UTC time of the first sample: ISO 8601 or epoch seconds.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the reports as JSON lines here.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the accepted windows (report, score, class_probs) as JSON.")
    ] = False,
    ref: Annotated[int, typer.Option("--ref", help="Reference channel the detector listens to.", min=0)] = 0,
    temperature_c: Annotated[float, typer.Option("--temperature", help="Air temperature (°C), speed of sound.")] = 10.0,
) -> None:
    """Bearing reports of an acoustic node: the learned detector listens to the reference channel (1 s windows,
    hop 0.25 s); each window it accepts gives one bearing report (array DOA, σ from the measured SNR,
    class_hint = likelier drone class) at t0 + the window's centre. Rejected windows give nothing."""
    import contextlib
    from datetime import datetime

    import numpy as np

    from borderwatch.errors import InputError
    from borderwatch.sensors.acoustic.node import load_array, node_windows
    from borderwatch.sensors.reports import report_to_dict, write_reports

    if len(sensor) == 0 or len(sensor) > 128:
        raise InputError("must be 1 to 128 characters", field="--sensor")
    t0_s: float | None = None
    with contextlib.suppress(ValueError):
        t0_s = float(t0)
    if t0_s is None:
        try:
            dt = datetime.fromisoformat(t0.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{t0!r} is neither epoch seconds nor ISO 8601", field="--t0") from None
        if dt.tzinfo is None:
            raise InputError(f"{t0!r} has no time zone (add Z for UTC)", field="--t0")
        t0_s = dt.timestamp()
    if not np.isfinite(t0_s):
        raise InputError(f"{t0!r} is not a finite time", field="--t0")
    geom = load_array(array)
    wins = node_windows(file, geom, sensor_id=sensor, t0=t0_s, ref_channel=ref, temperature_c=temperature_c)
    if out is not None:
        with out.open("w", encoding="utf-8") as fh:
            write_reports((w.report for w in wins), fh)
    if as_json:
        print(json.dumps([w.as_dict() for w in wins]))
    elif out is None:
        for w in wins:
            print(json.dumps(report_to_dict(w.report)))
    else:
        console.print(f"{len(wins)} bearing report(s) written to {out}", highlight=False)


def _physics_detect(files: list[Path], as_json: bool) -> None:
    from borderwatch.errors import BorderwatchError, InputError
    from borderwatch.sensors.acoustic.clip import score_file as physics_score

    results = []
    rejected = 0
    for f in files:
        try:
            results.append(physics_score(f))
        except BorderwatchError as exc:
            rejected += 1
            print(f"skipped: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps([{"file": r.file, "score": r.score, "drone": r.drone} for r in results]))
    else:
        for r in results:
            console.print(f"{r.score:6.3f}  {'DRONE' if r.drone else '-----'}  f0≈{r.f0_hz:6.1f} Hz  {r.file}")
    if rejected:
        print(f"rejected {rejected} of {len(files)} file(s)", file=sys.stderr)
        if not results:
            raise InputError("no readable sound file")


@app.command("coverage")
@handle_errors
def coverage_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="PNG map to write (JSON written beside it).")],
    classes: Annotated[
        list[str] | None, typer.Option("--class", help="Target class (repeatable; default: a standard set).")
    ] = None,
    alts: Annotated[
        list[float] | None,
        typer.Option("--alt", help="Height above ground, m (repeatable; default 50, 300, 1000)."),
    ] = None,
    layout: LayoutOpt = None,
    day: Annotated[bool, typer.Option("--day", help="Day-time ambient noise (default: quiet rural night).")] = False,
    wind: Annotated[float, typer.Option("--wind", help="Wind speed at the microphones, m/s.")] = 0.0,
    temperature: Annotated[float, typer.Option("--temperature", help="Air temperature, °C.")] = 10.0,
    humidity: Annotated[float, typer.Option("--humidity", help="Relative humidity, %.")] = 70.0,
) -> None:
    """Pd over the theatre and the share of the watched border covered at Pd ≥ 0.9 per class and height."""
    from borderwatch.errors import InputError
    from borderwatch.sensors.coverage import (
        DEFAULT_ALTS_M,
        DEFAULT_CLASSES,
        CoverageEnv,
        border_coverage,
        draw_coverage,
    )
    from borderwatch.sensors.layout import build_layout, load_layout_cfg
    from borderwatch.theatre import load_theatre

    if wind < 0 or wind > 60:
        raise InputError("must be within [0, 60] m/s", field="--wind")
    if not 0 <= humidity <= 100:
        raise InputError("must be within [0, 100] %", field="--humidity")
    for a in alts or []:
        if a <= 0:
            raise InputError(f"{a} m: height above ground must be > 0", field="--alt")
    cfg, _ = load_layout_cfg(layout)
    th = load_theatre(cfg.theatre)
    lay = build_layout(cfg, th)
    env = CoverageEnv(temperature, humidity, wind, not day)
    cls_list = list(classes) if classes else list(DEFAULT_CLASSES)
    alt_list = list(alts) if alts else list(DEFAULT_ALTS_M)
    res = border_coverage(th, lay, cls_list, alt_list, env)
    png = draw_coverage(th, lay, cls_list[0], alt_list[0], env, out)
    js = png.with_suffix(".json")
    js.write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(json.dumps(res))
    console.print(f"map: {png}\njson: {js}", highlight=False)


@layout_app.command("show")
@handle_errors
def layout_show(
    layout: Annotated[str | None, typer.Argument(help="Shipped layout name or YAML file.")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write sensors.json here.")] = None,
) -> None:
    """Check a layout and print its sensor counts (optionally write sensors.json)."""
    from borderwatch.sensors.layout import build_layout, load_layout_cfg
    from borderwatch.sensors.reports import write_sensors
    from borderwatch.theatre import load_theatre

    cfg, src = load_layout_cfg(layout)
    lay = build_layout(cfg, load_theatre(cfg.theatre))
    console.print(
        f"{lay.name} ({src}): {len(lay.acoustic_ids)} acoustic nodes ({lay.array.n} microphones each), "
        f"{len(lay.radars)} radars, {len(lay.adsb)} ADS-B receivers",
        highlight=False,
    )
    if out is not None:
        write_sensors(lay.sites, out)
        console.print(f"sensors: {out}")


@radar_app.command("pd-plot")
@handle_errors
def radar_pd_plot(
    out: Annotated[Path, typer.Option("-o", "--out", help="PNG to write.")],
    model: Annotated[str, typer.Option("--model", help="Radar model from the catalogue.")] = "giraffe1x",
) -> None:
    """Pd versus range for 0.01 m² and 1 m² targets (radar equation, Swerling 1), Monte Carlo overlaid."""
    from borderwatch.sensors.radar_plot import pd_range_plot

    console.print(f"plot: {pd_range_plot(out, model=model)}")
