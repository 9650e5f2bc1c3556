"""Jobs: the library calls behind CLI commands that read and write files.

Each job takes names or paths, runs the pure layers and writes its outputs into a folder, returning the
paths it wrote. The CLI is a thin shell over these; tests and other front ends call them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from borderwatch.errors import InputError
from borderwatch.sim.catalogue import load_catalogue
from borderwatch.sim.engine import simulate
from borderwatch.sim.scenario import Scenario, check_scenario, load_scenario, resolve_scenario_path
from borderwatch.sim.truth import TruthTable, read_truth, write_truth
from borderwatch.theatre.loader import load_theatre
from borderwatch.theatre.model import Theatre

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Loaded:
    scenario: Scenario
    theatre: Theatre
    source: str


def load_checked(name_or_file: str | Path, *, theatre: str | Path | None = None) -> Loaded:
    """Load a scenario and its theatre and check one against the other.

    A scenario's ``theatre`` is a shipped theatre name or a folder; a relative folder is taken relative
    to the scenario file.
    """
    path = resolve_scenario_path(name_or_file)
    sc = load_scenario(path)
    th_ref: str | Path = theatre if theatre is not None else sc.theatre
    if theatre is None and not Path(sc.theatre).is_absolute() and (path.parent / sc.theatre).is_dir():
        th_ref = path.parent / sc.theatre
    th = load_theatre(th_ref)
    check_scenario(sc, th, load_catalogue(), source=str(path))
    return Loaded(sc, th, str(path))


def write_resolved_scenario(sc: Scenario, truth: TruthTable, path: Path) -> None:
    """The scenario with every default filled in, plus the resolved per-target identities."""
    d = sc.to_yaml_dict()
    d["resolved_targets"] = [
        {
            k: v
            for k, v in {
                "id": ti.id,
                "class": ti.cls,
                "group": ti.group,
                "hostile": ti.hostile,
                "cooperative": ti.cooperative,
                "icao": ti.icao,
                "callsign": ti.callsign,
            }.items()
            if v is not None
        }
        for ti in truth.targets
    ]
    path.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True), encoding="utf-8")


def simulate_job(
    name_or_file: str | Path,
    out_dir: Path | str,
    *,
    theatre: str | Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Simulate a scenario and write ``truth.jsonl`` and ``scenario.yaml`` into ``out_dir``."""
    ld = load_checked(name_or_file, theatre=theatre)
    return simulate_to_dir(ld, out_dir, progress=progress)[1]


def simulate_to_dir(
    ld: Loaded, out_dir: Path | str, *, progress: Progress | None = None
) -> tuple[TruthTable, dict[str, Path]]:
    """Fly a loaded scenario and write truth, resolved scenario, sensors and reports into ``out_dir``."""
    truth = simulate(ld.scenario, ld.theatre, progress=progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    truth_path = out / "truth.jsonl"
    with truth_path.open("w", encoding="utf-8") as fh:
        write_truth(truth, fh)
    sc_path = out / "scenario.yaml"
    write_resolved_scenario(ld.scenario, truth, sc_path)
    return truth, {"truth": truth_path, "scenario": sc_path, **sensors_job(ld, truth, out, progress=progress)}


ORIGINS_FILE = "report_origins.npz"  # simulation truth: which target made each line of reports.jsonl, and when


def sensors_job(ld: Loaded, truth: TruthTable, out: Path, *, progress: Progress | None = None) -> dict[str, Path]:
    """Generate the sensor reports of a simulated scenario: writes ``sensors.json`` and ``reports.jsonl``.

    The sensor random stream is derived from the scenario seed (``[seed, 3]``) and independent of the truth's.
    ``progress(done, total)`` follows the sensor steps (after the truth's steps, on the same callback).
    """
    import numpy as np

    from borderwatch.sensors.layout import load_layout
    from borderwatch.sensors.reports import write_reports, write_sensors
    from borderwatch.sensors.simulate import simulate_reports

    layout = load_layout(ld.scenario.sensors.layout, ld.theatre)
    rng = np.random.default_rng([ld.scenario.seed, 3])
    origins: list[tuple[int, float]] = []
    reports = simulate_reports(
        truth, ld.theatre, layout, ld.scenario.weather, rng, options=ld.scenario.sensors,
        t_start=ld.scenario.t0, t_end=ld.scenario.t0 + ld.scenario.duration_s, origins=origins,
        progress=progress,
    )  # fmt: skip
    origins_path = out / ORIGINS_FILE
    tgt = np.array([o[0] for o in origins], dtype=np.int32)
    np.savez_compressed(origins_path, target=tgt, t_emit=np.array([o[1] for o in origins], dtype=float))
    sensors_path = out / "sensors.json"
    write_sensors(layout.sites, sensors_path)
    reports_path = out / "reports.jsonl"
    with reports_path.open("w", encoding="utf-8") as fh:
        write_reports(reports, fh)
    return {"sensors": sensors_path, "reports": reports_path, "origins": origins_path}


def map_job(source: str | Path, out_png: Path | str, *, theatre: str | Path | None = None) -> Path:
    """Draw the theatre with truth trajectories: ``source`` is a run folder or a scenario name/file."""
    from borderwatch.plot.truthmap import draw_truth_map

    src = Path(source)
    if src.is_dir():
        if not (src / "truth.jsonl").is_file():
            raise InputError("folder has no truth.jsonl (run `borderwatch simulate` first)", source=str(src))
        truth = read_truth(src / "truth.jsonl")
        th_name: str | Path = theatre or "latvia-east"
        title = src.name
        if theatre is None and (src / "scenario.yaml").is_file():
            d = yaml.safe_load((src / "scenario.yaml").read_text(encoding="utf-8")) or {}
            th_name = d.get("theatre", th_name)
            title = d.get("name", title)
        th = load_theatre(th_name)
    else:
        ld = load_checked(source, theatre=theatre)
        truth = simulate(ld.scenario, ld.theatre)
        th = ld.theatre
        title = ld.scenario.name
    return draw_truth_map(th, truth, out_png, title=f"{th.title} — {title}")
