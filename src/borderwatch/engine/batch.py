"""``borderwatch run``: the batch driver of the engine — simulate, then feed the reports with a simulated clock.

The scenario is flown and its sensor reports generated (:func:`borderwatch.jobs.simulate_to_dir`); the
reports are fed to the :class:`~borderwatch.engine.stepper.Engine` in reception order and every frame it
returns is written to the output files. With ``auto_approve`` an explicit simulation policy approves each
recommendation; without it nobody approves and no engagement happens (the live system waits for an operator).
In the closed loop (default) a kill ends the simulated drone: its later reports are not fed and its truth
ends at the intercept (``truth.jsonl`` is rewritten so that ``borderwatch evaluate`` sees the same world).

Every summary figure comes from the engine's outputs (tracks, assessments, alerts, engagements) except
those that can only come from truth, named ``*_truth`` in summary.json (e.g. leakers).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from borderwatch.engine.stepper import Engine, Frame, RunConfig
from borderwatch.engine.summary import run_summary
from borderwatch.engine.world import SimWorld
from borderwatch.jobs import Loaded, load_checked, simulate_to_dir
from borderwatch.response.effectors import load_effector_catalogue, load_layout
from borderwatch.sensors.reports import read_reports, read_sensors
from borderwatch.sim.catalogue import load_catalogue
from borderwatch.sim.truth import write_truth
from borderwatch.threat import load_threat_config
from borderwatch.tracking import TrackerConfig
from borderwatch.tracking.io import write_tracks

Progress = Callable[[int, int], None]

OUTPUT_FILES = (
    "tracks.jsonl",
    "assessments.jsonl",
    "alerts.jsonl",
    "recommendations.jsonl",
    "decisions.jsonl",
    "engagements.jsonl",
    "summary.json",
)


def _dump(fh: Any, d: dict[str, Any]) -> None:
    fh.write(json.dumps(d, ensure_ascii=False) + "\n")


def run_pipeline(
    name_or_file: str | Path,
    out_dir: Path | str,
    *,
    config: RunConfig | None = None,
    theatre: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run a scenario end to end; returns the summary and writes every output file into ``out_dir``."""
    cfg = config or RunConfig()
    ld: Loaded = load_checked(name_or_file, theatre=theatre)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth, paths = simulate_to_dir(ld, out)
    th = ld.theatre
    sc = ld.scenario
    units = load_layout(
        cfg.effector_layout,
        catalogue=load_effector_catalogue(cfg.effector_catalogue) if cfg.effector_catalogue else None,
    )
    tcfg = load_threat_config()
    sites, _ = read_sensors(paths["sensors"])
    world = SimWorld.from_dir(truth, paths.get("origins"), closed_loop=cfg.closed_loop)
    engine = Engine(
        th,
        sites,
        units=units,
        config=cfg,
        tracker_config=TrackerConfig(temperature_c=sc.weather.temperature_c),
        threat_config=tcfg,
        guidance={k: c.guidance for k, c in load_catalogue().classes.items()},
        rng=np.random.default_rng([sc.seed, cfg.seed_stream]),
        world=world,
    )
    t_end = sc.t0 + sc.duration_s
    total = max(1, int(sc.duration_s / cfg.emit_interval_s))
    recs_latest: dict[str, dict[str, Any]] = {}  # one line per recommendation (queue entry): its last version
    with (
        (out / "tracks.jsonl").open("w", encoding="utf-8") as tracks_fh,
        (out / "assessments.jsonl").open("w", encoding="utf-8") as assess_fh,
    ):

        def sink(frames: list[Frame]) -> None:
            for f in frames:
                write_tracks(f.estimates, tracks_fh)
                for a in f.assessments:
                    _dump(assess_fh, a)
                for rj in f.recommendations:
                    recs_latest[rj["id"]] = rj

        done = 0
        for r in world.silenced(read_reports(paths["reports"])):
            engine.feed((r,))
            frames = engine.advance_frames(-np.inf)
            if frames:
                sink(frames)
                done += len(frames)
                if progress is not None and done % 60 < len(frames):
                    progress(min(int((engine.now - sc.t0) / cfg.emit_interval_s), total), total)
        sink(engine.finish(t_end))
    if progress is not None:
        progress(total, total)

    recs_out = list(recs_latest.values())
    if cfg.closed_loop and world.killed:
        truth = world.cut_truth()
        with paths["truth"].open("w", encoding="utf-8") as fh:
            write_truth(truth, fh)
    with (out / "alerts.jsonl").open("w", encoding="utf-8") as fh:
        for al in engine.alerts.alerts.values():
            _dump(fh, al.to_json())
    with (out / "recommendations.jsonl").open("w", encoding="utf-8") as fh:
        for rj in recs_out:
            _dump(fh, rj)
    with (out / "decisions.jsonl").open("w", encoding="utf-8") as fh:
        for d in engine.dlog.entries:
            _dump(fh, {**d.payload(), "sha256": d.sha256})
    engagements = [engine.engagement_json(e) for e in engine.book.engagements]
    with (out / "engagements.jsonl").open("w", encoding="utf-8") as fh:
        for ej in engagements:
            _dump(fh, ej)

    summary = run_summary(
        sc,
        th,
        truth,
        engine.logs,
        engine.alerts,
        engine.book,
        recs_out,
        tcfg,
        engine.fighter_feasible,
        cfg,
        engine.tracker.summary,
        engine.unit_by_id,
        killed_truth=set(world.kill_of.values()) if cfg.closed_loop else None,
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    from borderwatch.plot.runreport import write_run_report

    report = write_run_report(
        out,
        th,
        sc,
        logs={k: (v.identity, v.points, v.neutralised_at) for k, v in engine.logs.items()},
        alerts=[a.to_json() for a in engine.alerts.alerts.values()],
        recommendations=recs_out,
        decisions=[{**d.payload()} for d in engine.dlog.entries],
        engagements=engagements,
        summary=summary,
    )
    summary["outputs"] = (
        {k: str(v) for k, v in paths.items()}
        | {name: str(out / name) for name in OUTPUT_FILES}
        | {"report": str(report)}
    )
    return summary
