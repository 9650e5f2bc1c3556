"""Core commands: ``theatre``, ``scenario``, ``simulate``, ``map``, ``run``, ``demo``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from borderwatch.cli.common import TheatreOpt, console, handle_errors, progress_bar

app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app
theatre_app = typer.Typer(help="The ground we defend.", no_args_is_help=True)
scenario_app = typer.Typer(help="Scenario presets and files.", no_args_is_help=True)
app.add_typer(theatre_app, name="theatre")
app.add_typer(scenario_app, name="scenario")


# --- theatre ------------------------------------------------------------------------------------------
@theatre_app.command("info")
@handle_errors
def theatre_info(
    theatre: TheatreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    within_km: Annotated[float, typer.Option(help="Depth of the zone behind the border, km.")] = 50.0,
) -> None:
    """Border segments with lengths, crossings with status, road and rail near the watched border."""
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre
    from borderwatch.theatre.info import theatre_summary

    th = load_theatre(theatre or DEFAULT_THEATRE)
    info = theatre_summary(th, near_border_km=within_km)
    if as_json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{info['title']}[/]  (theatre {info['theatre']}, home {info['home']})")
    t = Table(title="Border segments")
    for col in ("segment", "neighbour", "watched", "length km (computed)", "published km", "source"):
        t.add_column(col)
    for s in info["segments"]:
        pub = s["published_length_km"]
        pub_s = "" if not pub else (f"{pub[0]:g}" if pub[0] == pub[1] else f"{pub[0]:g}–{pub[1]:g}")
        t.add_row(
            s["id"], s["neighbour"], "yes" if s["watched"] else "", f"{s['length_km']:.1f}", pub_s,
            s["published_source"] or "",
        )  # fmt: skip
    console.print(t)
    t = Table(title="Border crossing points")
    for col in ("name", "segment", "kind", "status", "since", "lat", "lon", "position"):
        t.add_column(col)
    for c in info["crossings"]:
        if c["lat"] is None:
            pos = "unknown"
        elif c["snapped"]:
            pos = f"{c['quality']}, snapped {c['snap_offset_m']:.0f} m"
        else:
            pos = c["quality"]
        t.add_row(
            c["name"], c["segment"], c["kind"], c["status"], c["status_since"] or "",
            "" if c["lat"] is None else f"{c['lat']:.4f}", "" if c["lon"] is None else f"{c['lon']:.4f}", pos,
        )  # fmt: skip
    console.print(t)
    nb = info["near_border"]
    console.print(
        f"Inside {info['home']} within {nb['within_km']:g} km of {'/'.join(nb['border'])}: "
        f"[bold]{nb['road_km']:.0f} km[/] of road, [bold]{nb['rail_km']:.0f} km[/] of railway "
        f"({nb['note']})."
    )
    if info["rejected_features"]:
        console.print(f"[yellow]rejected features:[/] {info['rejected_features']}")


@theatre_app.command("list")
def theatre_list() -> None:
    """Theatres shipped inside the package."""
    from borderwatch.theatre import available_theatres

    for name in available_theatres():
        console.print(name)


# --- scenarios ----------------------------------------------------------------------------------------
@scenario_app.command("list")
@handle_errors
def scenario_list() -> None:
    """Shipped scenario presets."""
    from borderwatch.sim.scenario import list_presets, load_scenario

    t = Table(title="Scenario presets")
    for col in ("name", "targets", "duration", "description"):
        t.add_column(col)
    for name in list_presets():
        sc = load_scenario(name)
        n = sum(g.count for _, _, g in sc.groups)
        t.add_row(name, str(n), f"{sc.duration_s / 60:.0f} min", " ".join(sc.description.split()))
    console.print(t)


@scenario_app.command("show")
@handle_errors
def scenario_show(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario YAML file.")],
    theatre: TheatreOpt = None,
) -> None:
    """Check a scenario and print it with every default filled in."""
    from borderwatch.jobs import load_checked

    ld = load_checked(scenario, theatre=theatre)
    import yaml

    print(yaml.safe_dump(ld.scenario.to_yaml_dict(), sort_keys=False, allow_unicode=True), end="")


# --- simulation ---------------------------------------------------------------------------------------
@app.command("simulate")
@handle_errors
def simulate_cmd(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario YAML file.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
    theatre: TheatreOpt = None,
) -> None:
    """Fly a scenario: writes DIR/truth.jsonl and DIR/scenario.yaml."""
    from borderwatch.jobs import simulate_job

    with progress_bar("simulating") as cb:
        paths = simulate_job(scenario, out, theatre=theatre, progress=cb)
    for k, p in paths.items():
        console.print(f"{k}: {p}")


@app.command("map")
@handle_errors
def map_cmd(
    source: Annotated[str, typer.Argument(help="A run folder (with truth.jsonl) or a scenario name/file.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="PNG file to write.")],
    theatre: TheatreOpt = None,
) -> None:
    """Draw the theatre with the truth trajectories."""
    from borderwatch.jobs import map_job

    console.print(f"map: {map_job(source, out, theatre=theatre)}")


@app.command("run")
@handle_errors
def run_cmd(
    scenario: Annotated[str, typer.Argument(help="Preset name or scenario YAML file.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Simulation only: a policy approves every recommendation.")
    ] = False,
    depth_km: Annotated[float, typer.Option(help="Engage before threats are this deep inside, km.")] = 30.0,
    effectors: Annotated[Path | None, typer.Option(help="Effector layout YAML (default: shipped).")] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Effector catalogue YAML (default: shipped).")] = None,
    open_loop: Annotated[
        bool,
        typer.Option("--open-loop", help="Simulation: a killed drone keeps flying and reporting (the old behaviour)."),
    ] = False,
    theatre: TheatreOpt = None,
) -> None:
    """Simulate → sensors → tracker → threat → response end to end; writes every output and report.html.

    Closed loop by default: a drone killed by an approved engagement stops there and makes no later report."""
    from borderwatch.engine.batch import run_pipeline
    from borderwatch.engine.stepper import RunConfig
    from borderwatch.errors import InputError

    if depth_km <= 0:
        raise InputError("must be > 0", field="--depth-km")
    cfg = RunConfig(
        auto_approve=auto_approve,
        depth_km=depth_km,
        effector_layout=str(effectors) if effectors else None,
        effector_catalogue=str(catalogue) if catalogue else None,
        closed_loop=not open_loop,
    )
    with progress_bar(f"running {scenario}") as cb:
        summary = run_pipeline(scenario, out, config=cfg, theatre=theatre, progress=cb)
    _print_run(summary)


def _print_run(s: dict[str, Any]) -> None:
    def pct(x: float | None) -> str:
        return "—" if x is None else f"{100 * x:.0f} %"

    t = Table(title=f"run {s['scenario']} ({'auto-approve policy' if s['auto_approve'] else 'recommendations only'})")
    t.add_column("figure")
    t.add_column("value")
    wt = s["median_warning_before_crossing_s"]
    rows = [
        (
            "hostile drones detected before the border (truth-matched)",
            pct(s["hostile_drones_detected_before_border_share_truth"]),
        ),
        ("median warning before crossing", "—" if wt is None else f"{wt:.0f} s"),
        ("hostile tracks engaged before the depth line", pct(s["hostile_tracks_engaged_before_depth_share"])),
        ("leakers (truth)", str(s["leakers_truth"])),
        ("total response cost", f"€{s['total_response_cost_eur']:,.0f}"),
        ("cost-exchange ratio (cost / value killed)", str(s["cost_exchange_ratio"])),
        ("fighter scrambles / avoided", f"{s['fighter_scrambles']} / {s['fighter_scrambles_avoided']}"),
        ("alerts / recommendations / engagements", f"{s['alerts']} / {s['recommendations']} / {s['engagements']}"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    for k, v in s["outputs"].items():
        console.print(f"{k}: {v}", highlight=False)


@app.command("demo")
@handle_errors
def demo_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path("out/demo"),
) -> None:
    """The main job on the shipped Latvian theatre: `run` of the night-raid preset with the auto-approve policy."""
    from borderwatch.engine.batch import run_pipeline
    from borderwatch.engine.stepper import RunConfig
    from borderwatch.jobs import map_job

    with progress_bar("running latgale-night-raid") as cb:
        summary = run_pipeline("latgale-night-raid", out, config=RunConfig(auto_approve=True), progress=cb)
    png = map_job(out, out / "map.png")
    _print_run(summary)
    console.print("[bold]borderwatch demo[/] — latgale-night-raid on theatre latvia-east (simulation, auto-approve)")
    console.print(f"  report:   {Path(summary['outputs']['report']).resolve()}")
    console.print(f"  truth:    {Path(summary['outputs']['truth']).resolve()}")
    console.print(f"  truth map: {png.resolve()}")
