"""CLI commands of the tracker: ``borderwatch track`` and ``borderwatch evaluate`` (thin shells over
:mod:`borderwatch.tracking`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from borderwatch.cli.common import console, handle_errors, progress_bar

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app


@app.command("track")
@handle_errors
def track_cmd(
    reports: Annotated[Path, typer.Argument(help="reports.jsonl (reception-time order).")],
    sensors: Annotated[Path, typer.Option("--sensors", help="sensors.json.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="tracks.jsonl to write.")],
    emit_interval: Annotated[float, typer.Option("--emit-interval", help="Output interval, s.")] = 1.0,
    temperature_c: Annotated[float, typer.Option("--temperature-c", help="Air temperature for c, °C.")] = 0.0,
    no_sound_delay: Annotated[bool, typer.Option("--no-sound-delay", help="Ignore acoustic delay.")] = False,
) -> None:
    """Track reports as a live system would; writes confirmed tracks at every emit interval and
    OUT's folder/track_summary.json (rejected reports by reason)."""
    from borderwatch.errors import InputError
    from borderwatch.tracking import TrackerConfig, track_files

    if emit_interval <= 0:
        raise InputError("must be > 0", field="--emit-interval")
    cfg = TrackerConfig(temperature_c=temperature_c, sound_delay=not no_sound_delay)
    with progress_bar("tracking (bytes read)") as cb:
        summary = track_files(reports, sensors, out, config=cfg, emit_interval_s=emit_interval, progress=cb)
    spath = out.parent / "track_summary.json"
    spath.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    console.print(
        f"tracks: {out} ({summary['lines']} lines, {summary['tracks_confirmed']} confirmed tracks); "
        f"reports accepted {summary['accepted']}, rejected {summary['rejected_total']}"
    )
    for reason, n in summary["rejected"].items():
        console.print(f"  rejected {n:>6}  {reason}", highlight=False)
    console.print(f"summary: {spath}")


@app.command("evaluate")
@handle_errors
def evaluate_cmd(
    run_dir: Annotated[Path, typer.Argument(help="Run folder.")],
    truth: Annotated[Path | None, typer.Option("--truth", help="Default DIR/truth.jsonl.")] = None,
    tracks: Annotated[Path | None, typer.Option("--tracks", help="Default DIR/tracks.jsonl.")] = None,
    sensors: Annotated[Path | None, typer.Option("--sensors", help="Default DIR/sensors.json if present.")] = None,
) -> None:
    """Score tracks against truth: GOSPA, ID switches, time to track, RMSE and the SIAP measures (completeness,
    ambiguity, spuriousness, positional accuracy, rate of track-number change, longest track segment); writes
    DIR/evaluation.json."""
    from borderwatch.sensors.reports import read_sensors
    from borderwatch.sim.truth import read_truth
    from borderwatch.tracking.io import evaluate_run, read_tracks

    tp = truth or run_dir / "truth.jsonl"
    kp = tracks or run_dir / "tracks.jsonl"
    sp = sensors or run_dir / "sensors.json"
    sites = read_sensors(sp)[0] if (sensors is not None or sp.is_file()) else None
    tt = read_tracks(kp)
    ev = evaluate_run(read_truth(tp), tt, sites).to_dict()
    ev["rejected_track_lines"] = dict(tt.rejected)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "evaluation.json").write_text(json.dumps(ev, indent=1), encoding="utf-8")
    g = ev["gospa"]
    assert isinstance(g, dict)
    console.print(
        f"GOSPA mean {g['mean_m']} m (loc {g['localisation_mean_m2']}, missed {g['missed_mean_m2']}, "
        f"false {g['false_mean_m2']} m²) over {ev['times']} times; ID switches {ev['id_switches']} "
        f"({ev['id_switches_per_target']}/target); tracked {ev['targets_tracked']}/{ev['targets']}; "
        f"time to track {ev['time_to_track_mean_s']} s; RMSE {ev['position_rmse_m']} m"
    )
    sd = ev.get("siap")
    if isinstance(sd, dict):
        cl = sd["completeness_localisable"]
        console.print(
            f"SIAP completeness {sd['completeness']}"
            + (f" (of localisable target-times {cl})" if cl is not None else "")
            + f", ambiguity {sd['ambiguity']}, spuriousness {sd['spuriousness']}, positional accuracy "
            f"{sd['position_accuracy_m']} m, track-number changes {sd['rate_of_track_number_change_per_s']}/s, "
            f"longest track segment {sd['longest_track_segment']}",
            highlight=False,
        )
    console.print(f"evaluation: {run_dir / 'evaluation.json'}")
