"""``borderwatch events | sections | reinforce``: the border-events register, section impact levels, forecasts
and reinforcement plans."""

from __future__ import annotations

import functools
import getpass
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from borderwatch.cli.common import console, handle_errors, progress_bar

if TYPE_CHECKING:
    from borderwatch.crossings.model import EventData, EventVersion
    from borderwatch.crossings.register import JsonlRepository
    from borderwatch.crossings.sections import Sections
    from borderwatch.store import Store
    from borderwatch.store.events import StoreRepository

    Repo = JsonlRepository | StoreRepository

F = TypeVar("F", bound=Callable[..., Any])
StoreOpt = Annotated[
    str,
    typer.Option(
        "--store", envvar="BORDERWATCH_STORE",
        help="Operations store holding the register (file or URL); writes need an operator or admin (--as).",
    ),
]  # fmt: skip
RegisterOpt = Annotated[
    Path | None,
    typer.Option(
        "--register", envvar="BORDERWATCH_REGISTER",
        help="Use a register directory (events.jsonl, no users or audit log) instead of the store.",
    ),
]  # fmt: skip
DEFAULT_STORE = "borderwatch.db"
TheatreOpt = Annotated[str | None, typer.Option("--theatre", help="Shipped theatre name or a folder.")]
SectionsOpt = Annotated[Path | None, typer.Option("--sections", help="sections.yaml instead of the theatre's.")]
AuthorOpt = Annotated[str | None, typer.Option("--as", "--author", help="Who records this (default: the login name).")]
AtOpt = Annotated[str | None, typer.Option("--at", help="Recording time, ISO 8601 (default: now).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="Time the deadlines are checked at (default: now).")]
_OPEN: list[Store] = []  # stores opened by the running command, closed when it ends


def _cmd(fn: F) -> F:
    """``handle_errors``, and every store the command opened is closed when it ends."""
    inner = handle_errors(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return inner(*args, **kwargs)
        finally:
            while _OPEN:
                _OPEN.pop().close()

    return wrapper  # type: ignore[return-value]


def _repo(store: str, register: Path | None, *, actor: str | None = None, create: bool = False) -> Repo:
    """The register: the store's (default) or a register directory's. ``create`` makes a missing store file."""
    if register is not None:
        from borderwatch.crossings.register import JsonlRepository

        return JsonlRepository(register)
    from borderwatch.cli.admin import _open
    from borderwatch.store.events import StoreRepository

    st = _open(store, create=create)
    _OPEN.append(st)
    return StoreRepository(st, actor=actor)


def _t(value: str | None, name: str) -> float:
    from borderwatch.crossings.io import _Bad, parse_time
    from borderwatch.errors import InputError

    if value is None:
        return time.time()
    try:
        return parse_time(value, name)
    except _Bad as bad:
        raise InputError(bad.reason, field=name) from None


def _author(a: str | None) -> str:
    return a or getpass.getuser() or "unknown"


def _day(d: int) -> str:
    return datetime.fromtimestamp(d * 86400.0, UTC).strftime("%Y-%m-%d")


def _sections(theatre: str | None, sections: Path | None) -> Sections:
    from borderwatch.crossings.sections import load_sections
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    return load_sections(load_theatre(theatre or DEFAULT_THEATRE), sections)


def _ctx(
    theatre: str | None, sections: Path | None, store: str, register: Path | None, *, actor: str | None = None,
    create: bool = False,
) -> tuple[Sections, Repo]:  # fmt: skip
    secs = _sections(theatre, sections)
    return secs, _repo(store, register, actor=actor, create=create)


def _histories(repo: Repo) -> dict[str, list[EventVersion]]:
    """Every event's versions (one query on the store)."""
    from borderwatch.store.events import StoreRepository

    if isinstance(repo, StoreRepository):
        return repo.histories()
    return {v.event_id: repo.history(v.event_id) for v in repo.list()}


def _history_counts(repo: Repo, secs: Sections) -> tuple[int, Any, list[EventData]]:
    from borderwatch.crossings.forecast import daily_counts
    from borderwatch.crossings.register import current_events
    from borderwatch.errors import InputError

    evs = [e for e in current_events(repo) if e.category == "unauthorised_crossing"]
    if not evs:
        raise InputError("the register holds no unauthorised-crossing events to forecast from", field="--register")
    d0 = int(min(e.time_s for e in evs) // 86400)
    d1 = int(max(e.time_s for e in evs) // 86400)
    return d0, daily_counts(evs, section_ids=secs.ids, day0=d0, n_days=d1 - d0 + 1), evs


app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app

ev = typer.Typer(help="Border events register (EUROSUR, Implementing Regulation (EU) 2021/581).", no_args_is_help=True)
sec = typer.Typer(help="Border sections and their impact levels.", no_args_is_help=True)
rf = typer.Typer(help="Reinforcement allocation of officers to sections and shifts.", no_args_is_help=True)
app.add_typer(ev, name="events")
app.add_typer(sec, name="sections")
app.add_typer(rf, name="reinforce")


@ev.command("add")
@_cmd
def add_cmd(
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    author: AuthorOpt = None,
    at: AtOpt = None,
    reason: Annotated[str, typer.Option(help="Why this version is recorded.")] = "report",
    follows: Annotated[str | None, typer.Option("--follows", help="Follow-up report to this event id.")] = None,
    corrects: Annotated[
        str | None, typer.Option("--corrects", help="Correct the latest version of this event.")
    ] = None,
    notice: Annotated[bool, typer.Option("--notice", help="Log awareness only; the first report follows.")] = False,
    owner: Annotated[str | None, typer.Option(help="Owner of a new event (default: the author).")] = None,
    field: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="FIELD=VALUE in the import format (docs/formats.md); repeatable."),
    ] = None,
) -> None:
    """Record a new event, a follow-up (--follows ID) or a correction (--corrects ID)."""
    from borderwatch.crossings.io import COLUMNS, RowError, parse_row, to_row
    from borderwatch.crossings.register import JsonlRepository, correct, follow_up, new_report, next_event_id
    from borderwatch.errors import InputError

    who = _author(author)
    secs, repo = _ctx(theatre, sections, store, register_dir, actor=who, create=True)
    row: dict[str, Any] = {}
    base_id = follows or corrects
    if follows and corrects:
        raise InputError("give --follows or --corrects, not both")
    if base_id:
        row = to_row(repo.get(base_id).data)
    for item in field or []:
        key, eq, value = item.partition("=")
        if not eq or key.strip() not in COLUMNS:
            raise InputError(f"{item!r}: expected FIELD=VALUE with FIELD one of {', '.join(COLUMNS)}", field="--set")
        row[key.strip()] = value
    parsed = parse_row(row, sections=secs, row_number=0)
    if isinstance(parsed, RowError):
        raise InputError(parsed.reason, field=parsed.field)
    data = parsed
    now = _t(at, "--at")
    if follows:
        v = follow_up(repo.history(follows), data, author=who, at=now, reason=reason)
    elif corrects:
        v = correct(repo.history(corrects), data, author=who, at=now, reason=reason)
    elif isinstance(repo, JsonlRepository):
        v = new_report(
            data, event_id=next_event_id(repo, data.time_s), author=who, at=now, reason=reason, owner=owner,
            notice=notice,
        )  # fmt: skip
    else:
        from borderwatch.store.events import new_events

        [v] = new_events(repo.store, [data], actor=who, at=now, reason=reason, owner=owner, notice=notice)
    if follows or corrects or isinstance(repo, JsonlRepository):
        repo.append(v)
    console.print(f"{v.event_id} version {v.version} ({v.action}) recorded by {v.author}")


@ev.command("import")
@_cmd
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or JSON-lines file of events (docs/formats.md).")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    author: AuthorOpt = None,
    at: AtOpt = None,
) -> None:
    """Import events: good rows become first reports, bad rows are listed (row, field, reason).
    Exits 2 only when no row was good."""
    from borderwatch.crossings.io import read_events
    from borderwatch.crossings.register import JsonlRepository, new_report
    from borderwatch.errors import InputError

    who = _author(author)
    secs, repo = _ctx(theatre, sections, store, register_dir, actor=who, create=True)
    res = read_events(file, sections=secs)
    latest = repo.list()
    known = {v.data.external_ref for v in latest if v.data.external_ref}
    now = _t(at, "--at")
    good: list[tuple[int, EventData]] = []
    for n, d in res.good:
        if d.external_ref and d.external_ref in known:
            from borderwatch.crossings.io import RowError

            res.rejected.append(RowError(n, "external_ref", f"{d.external_ref!r} is already in the register"))
            continue
        good.append((n, d))
        if d.external_ref:
            known.add(d.external_ref)
    reasons = [f"imported from {file.name} row {n}" for n, _ in good]
    with progress_bar("import") as cb:
        cb(0, 1)
        if isinstance(repo, JsonlRepository):
            batch: list[EventVersion] = []
            for (_, d), why in zip(good, reasons, strict=True):
                day = datetime.fromtimestamp(d.time_s, UTC).strftime("%Y%m%d")
                eid = f"EV-{day}-{len(latest) + len(batch) + 1:04d}"
                batch.append(new_report(d, event_id=eid, author=who, at=now, reason=why))
            repo.append_many(batch)
        elif good:
            from borderwatch.store.events import new_events

            new_events(repo.store, [d for _, d in good], actor=who, at=now, reason=reasons)
        added = len(good)
        cb(1, 1)
    for r in sorted(res.rejected, key=lambda r: r.row):
        console.print(f"rejected {r}", highlight=False)
    console.print(f"{added} event(s) imported into {repo.path}, {len(res.rejected)} row(s) rejected")
    if added == 0:
        raise InputError(f"no good row in {file} ({len(res.rejected)} rejected)")


@ev.command("list")
@_cmd
def list_cmd(
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    now: NowOpt = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open events.")] = False,
    overdue_only: Annotated[
        bool, typer.Option("--overdue", help="Only events with an overdue or late first report.")
    ] = False,
    section: Annotated[str | None, typer.Option(help="Only this section.")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many (newest first).")] = 50,
) -> None:
    """Events in the register with status and first-report deadline (overdue / late flagged)."""
    from rich.table import Table

    from borderwatch.crossings.io import iso
    from borderwatch.crossings.register import view

    repo = _repo(store, register_dir)
    t = _t(now, "--now")
    views = [view(h, now=t) for h in _histories(repo).values()]
    views = [
        v for v in views
        if (not open_only or v.status == "open") and (not overdue_only or v.overdue or v.late)
        and (section is None or v.data.section == section)
    ]  # fmt: skip
    views.sort(key=lambda v: (not v.overdue, -v.data.time_s))  # overdue first reports at the top
    tab = Table(title=f"{len(views)} event(s)")
    for c in ("event", "v", "time", "section", "category", "persons", "outcome", "status", "first report"):
        tab.add_column(c)
    for v in views[:limit]:
        flag = (
            "OVERDUE" if v.overdue else ("late" if v.late else ("pending" if v.first_report_s is None else "on time"))
        )
        tab.add_row(v.event_id, str(v.version), iso(v.data.time_s), v.data.section, v.data.category,
                    str(v.data.persons), v.data.outcome, v.status, f"{flag} (due {iso(v.due_s)})")  # fmt: skip
    console.print(tab)


@ev.command("show")
@_cmd
def show_cmd(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    now: NowOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON lines.")] = False,
) -> None:
    """An event's current data, its full history (who, when, why, what changed) and, from the store, its
    audit trail."""
    from borderwatch.crossings.io import iso
    from borderwatch.crossings.register import changes, view
    from borderwatch.store.events import StoreRepository, event_audit

    repo = _repo(store, register_dir)
    hist = repo.history(event_id)
    if as_json:
        for v in hist:
            typer.echo(v.model_dump_json())
        return
    vw = view(hist, now=_t(now, "--now"))
    flag = "OVERDUE" if vw.overdue else ("late" if vw.late else "ok")
    console.print(f"[bold]{event_id}[/] {vw.status}, owner {vw.owner}, first report {flag} (due {iso(vw.due_s)})")
    for k, val in vw.data.model_dump().items():
        if val not in (None, "", [], {}):
            shown = iso(val) if k.endswith("_s") else val
            console.print(f"  {k}: {shown}", highlight=False, markup=False)
    console.print("[bold]history[/]")
    prev = None
    for v in hist:
        diff = "" if prev is None else "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changes(prev, v.data).items())
        line = (
            f"  v{v.version} {v.action} by {v.author} at {iso(v.recorded_s)}: {v.reason}"
            + (f" (closure: {v.closure})" if v.closure else "")
            + (f" (corrects v{v.corrects})" if v.corrects else "")
            + (f" (links to the first report {v.follows})" if v.follows else "")
            + (f" — {diff}" if diff else "")
        )
        console.print(line, markup=False, highlight=False)
        prev = v.data
    if isinstance(repo, StoreRepository):
        console.print("[bold]audit trail[/]")
        for a in event_audit(repo.store, event_id):
            what = a.action + (f" v{a.details['version']}" if "version" in a.details else "")
            changed = ", ".join(a.details.get("changes", {}))
            console.print(
                f"  seq {a.seq} {iso(a.t)} {a.actor}: {what}" + (f" (changed {changed})" if changed else ""),
                markup=False, highlight=False,
            )  # fmt: skip


@ev.command("close")
@_cmd
def close_cmd(
    event_id: Annotated[str, typer.Argument(help="Event id.")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    author: AuthorOpt = None,
    at: AtOpt = None,
    reason: Annotated[str, typer.Option(help="Why the event is closed.")] = "closed by the owner",
    closure: Annotated[str, typer.Option(help="did_not_occur | not_significant | ended")] = "ended",
) -> None:
    """Close an event (Art. 9(7)); only its owner may (or, in the store, an admin)."""
    from borderwatch.crossings.register import close
    from borderwatch.errors import InputError
    from borderwatch.store.events import StoreRepository, check_writer
    from borderwatch.store.users import Role

    if closure not in ("did_not_occur", "not_significant", "ended"):
        raise InputError(f"{closure!r} is not one of did_not_occur, not_significant, ended", field="--closure")
    who = _author(author)
    repo = _repo(store, register_dir, actor=who)
    admin = isinstance(repo, StoreRepository) and check_writer(repo.store, who) is Role.ADMIN
    v = close(repo.history(event_id), author=who, at=_t(at, "--at"), reason=reason, closure=closure, admin=admin)  # type: ignore[arg-type]
    repo.append(v)
    console.print(f"{event_id} closed ({closure}) by {v.author}, version {v.version}")


@ev.command("forecast")
@_cmd
def forecast_cmd(
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    days: Annotated[int, typer.Option(help="Days ahead.")] = 7,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write the forecast as JSON.")] = None,
    backtest_weeks: Annotated[int, typer.Option("--backtest", help="Also back-test over this many weeks.")] = 0,
) -> None:
    """Forecast attempts per section for the days after the register's last event, with 80 % intervals."""
    from rich.table import Table

    from borderwatch.crossings.forecast import backtest, fit, predict

    secs, repo = _ctx(theatre, sections, store, register_dir)
    d0, counts, _ = _history_counts(repo, secs)
    with progress_bar("forecast") as cb:
        cb(0, 1)
        m = fit(counts, day0=d0)
        fc = predict(m, section_ids=secs.ids, day0=d0 + counts.shape[1], n_days=days)
        cb(1, 1)
    tab = Table(title=f"attempts forecast {_day(fc.day0)} .. {_day(fc.day0 + days - 1)} (mean [80 % interval])")
    tab.add_column("section")
    for j in range(days):
        tab.add_column(_day(fc.day0 + j)[5:])
    for i, sid in enumerate(secs.ids):
        tab.add_row(sid, *[f"{fc.mean[i, j]:.1f} [{fc.lo[i, j]:.0f}-{fc.hi[i, j]:.0f}]" for j in range(days)])
    console.print(tab)
    doc: dict[str, Any] = {
        "model": "negative binomial (NB2): section + weekday + trend + annual cycle; statsmodels GLM",
        "alpha": m.alpha,
        "history_days": int(counts.shape[1]),
        "days": [_day(fc.day0 + j) for j in range(days)],
        "sections": {
            sid: {"mean": fc.mean[i].round(3).tolist(), "lo80": fc.lo[i].tolist(), "hi80": fc.hi[i].tolist()}
            for i, sid in enumerate(secs.ids)
        },
    }
    if backtest_weeks:
        bt = backtest(counts, day0=d0, origins=backtest_weeks, section_ids=secs.ids,
                      min_train_days=min(365, counts.shape[1] - 7 * backtest_weeks))  # fmt: skip
        doc["backtest"] = bt.as_dict()
        console.print(f"back-test: MAE {bt.mae_model:.3f} vs seasonal-naive {bt.mae_seasonal_naive:.3f}, "
                      f"80 % coverage {bt.coverage_80:.3f} (randomised PIT; integer intervals "
                      f"{bt.coverage_80_integer:.3f} at model probability {bt.mean_interval_prob:.3f})")  # fmt: skip
    if out:
        out.write_text(json.dumps(doc, indent=1), encoding="utf-8")


@ev.command("export")
@_cmd
def export_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output .csv or .geojson file.")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    now: NowOpt = None,
) -> None:
    """Export the current version of every event as CSV (the import format) or GeoJSON points."""
    from borderwatch.crossings.io import geojson_features, write_csv
    from borderwatch.crossings.register import view
    from borderwatch.errors import InputError
    from borderwatch.interop.geojson import write_features

    secs, repo = _ctx(theatre, sections, store, register_dir)
    latest = repo.list()
    if out.suffix.lower() == ".csv":
        n = write_csv(out, [(v.event_id, v.version, v.data) for v in latest])
    elif out.suffix.lower() in (".geojson", ".json"):
        t = _t(now, "--now")
        hs = _histories(repo)
        rows = [(v.event_id, v.version, view(hs[v.event_id], now=t).status, v.data) for v in latest]
        feats = geojson_features(rows, sections=secs)
        write_features(out, feats)
        n = len(feats)
    else:
        raise InputError("output must end in .csv or .geojson", field="--out")
    console.print(f"{n} event(s) written to {out}")


@ev.command("report")
@_cmd
def report_cmd(
    kind: Annotated[str, typer.Argument(help="indicators (Annex 1 refusals of entry) | sitrep (weekly HTML)")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    month: Annotated[str | None, typer.Option(help="indicators: YYYY-MM (default: last month).")] = None,
    week_start: Annotated[
        str | None, typer.Option(help="sitrep: first day YYYY-MM-DD (default: the last 7 days).")
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="Impact-level rules YAML.")] = None,
    now: NowOpt = None,
) -> None:
    """Monthly indicator report (refusals.json, refusals.csv) or weekly situation report (sitrep.html)."""
    from borderwatch.crossings.register import current_events, view
    from borderwatch.errors import InputError

    secs, repo = _ctx(theatre, sections, store, register_dir)
    out.mkdir(parents=True, exist_ok=True)
    evs = current_events(repo)
    t_now = _t(now, "--now")
    if kind == "indicators":
        import csv

        from borderwatch.crossings.indicators import refusals_report

        if month is None:
            d = datetime.fromtimestamp(t_now, UTC).replace(day=1)
            prev = d.replace(year=d.year - 1, month=12) if d.month == 1 else d.replace(month=d.month - 1)
            month = prev.strftime("%Y-%m")
        bcps = [c.name for c in secs.theatre.crossings]
        doc = refusals_report(evs, month=month, crossing_points=bcps)
        (out / "refusals.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        with (out / "refusals.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["month", "crossing_point", "breakdown", "key", "refusals"])
            for p in doc["crossing_points"]:
                w.writerow([month, p["crossing_point"], "total", "", p["refusals"]])
                for b in ("by_nationality", "by_age_group", "by_sex", "by_reason"):
                    for k, v in p[b].items():
                        w.writerow([month, p["crossing_point"], b.removeprefix("by_"), k, v])
        console.print(f"{doc['total_refusals']} refusal(s) of entry in {month} (due {doc['due']}): {out}/refusals.json")
    elif kind == "sitrep":
        import numpy as np

        from borderwatch.crossings.forecast import fit, predict
        from borderwatch.crossings.impact import daily_metrics, load_rules, section_levels
        from borderwatch.plot.crossings import weekly_report_html

        d_hist0, counts_all, crossing = _history_counts(repo, secs)
        last_day = d_hist0 + counts_all.shape[1] - 1
        w0 = int(_t(week_start, "--week-start") // 86400) if week_start else last_day - 6
        with progress_bar("sitrep") as cb:
            cb(0, 3)
            m = daily_metrics(crossing, section_ids=secs.ids, day0=w0, n_days=7)
            lv = section_levels(crossing, section_ids=secs.ids, days=list(range(w0, w0 + 7)), rules=load_rules(rules))
            cb(1, 3)
            upto = min(w0 + 7, last_day + 1) - d_hist0
            model = fit(counts_all[:, :upto], day0=d_hist0)
            fc = predict(model, section_ids=secs.ids, day0=d_hist0 + upto, n_days=7)
            cb(2, 3)
            week_events = [e for e in crossing if w0 <= e.time_s // 86400 < w0 + 7]
            overdue = [eid for eid, h in _histories(repo).items() if view(h, now=t_now).overdue]
            hist_from = max(0, upto - 28)
            page = weekly_report_html(
                sections=secs, week_start_day=w0, events=week_events, levels=lv,
                counts=m["attempts"].sum(axis=1), persons=m["persons"].sum(axis=1),
                history_day0=d_hist0 + hist_from, history=counts_all[:, hist_from:upto], forecast=fc,
                overdue=overdue,
                notes=[*secs.notes, "Forecast: negative-binomial count model (statsmodels), 80 % intervals.",
                       *sorted({e.description for e in week_events if e.description.startswith("synthetic")})],
            )  # fmt: skip
            cb(3, 3)
        path = out / "sitrep.html"
        path.write_text(page, encoding="utf-8")
        console.print(
            f"weekly situation report {_day(w0)}..{_day(w0 + 6)}: {path} ({int(np.sum(m['attempts']))} attempts)"
        )
    else:
        raise InputError(f"unknown report {kind!r}: indicators or sitrep", field="KIND")


@ev.command("synth")
@_cmd
def synth_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV (the import format).")],
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2025-01-01",
    days: Annotated[int, typer.Option(help="Number of days.")] = 730,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Synthetic events for demos (LV-BY level calibrated to a published figure; the rest assumptions)."""
    import numpy as np

    from borderwatch.crossings.io import write_csv
    from borderwatch.crossings.sections import load_sections
    from borderwatch.crossings.synthetic import NOTE, generate
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    secs = load_sections(load_theatre(theatre or DEFAULT_THEATRE), sections)
    d0 = int(_t(start, "--start") // 86400)
    syn = generate(secs, day0=d0, n_days=days, rng=np.random.default_rng(seed))
    n = write_csv(out, [("", 0, e) for e in syn.events])
    console.print(f"{n} synthetic event(s) written to {out} — {NOTE}")


@sec.command("status")
@_cmd
def status_cmd(
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    date: Annotated[str | None, typer.Option(help="Day to assess, YYYY-MM-DD (default: today).")] = None,
    rules: Annotated[Path | None, typer.Option(help="Impact-level rules YAML.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Impact level of every section for a day, with the required reaction and the reason."""
    from rich.table import Table

    from borderwatch.crossings.impact import load_rules, section_levels
    from borderwatch.crossings.register import current_events

    secs, repo = _ctx(theatre, sections, store, register_dir)
    day = int(_t(date, "--date") // 86400)
    lv = section_levels(current_events(repo), section_ids=secs.ids, days=[day], rules=load_rules(rules))
    if as_json:
        rows = [
            {"section": x.section, "day": _day(x.day), "level": x.level, "temporary": x.temporary,
             "reason": x.reason, "reaction": x.reaction, "metrics": x.metrics}
            for x in lv
        ]  # fmt: skip
        typer.echo(json.dumps(rows, indent=1))
        return
    tab = Table(title=f"section impact levels on {_day(day)}")
    for c in ("section", "name", "unit", "level", "reason", "reaction"):
        tab.add_column(c, overflow="fold")
    for x in lv:
        s = secs.get(x.section)
        tab.add_row(s.id, s.name, s.unit, x.level + (" (temporary)" if x.temporary else ""), x.reason, x.reaction)
    console.print(tab)
    if secs.notes:
        console.print("note: " + " ".join(secs.notes), highlight=False)


@rf.command("plan")
@_cmd
def plan_cmd(
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder: plan.json, map.png, shifts.csv.")],
    store: StoreOpt = DEFAULT_STORE,
    register_dir: RegisterOpt = None,
    theatre: TheatreOpt = None,
    sections: SectionsOpt = None,
    forces: Annotated[Path | None, typer.Option(help="forces.yaml (default: the theatre's shipped file).")] = None,
    days: Annotated[int, typer.Option(help="Days to plan from the day after the register's last event.")] = 7,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, s.")] = 8.0,
) -> None:
    """Assign officers (own and on loan) to sections and shifts to minimise expected unhandled attempts."""
    import csv

    import numpy as np

    from borderwatch.crossings.allocate import Problem, explain, load_forces, proportional_baseline, solve_milp
    from borderwatch.crossings.forecast import fit, predict
    from borderwatch.plot.crossings import plan_map

    secs, repo = _ctx(theatre, sections, store, register_dir)
    fo = load_forces(forces, theatre_name=secs.theatre.name, sections=secs)
    d0, counts, _ = _history_counts(repo, secs)
    with progress_bar("reinforce") as cb:
        cb(0, 3)
        m = fit(counts, day0=d0)
        start = d0 + counts.shape[1]
        fc = predict(m, section_ids=secs.ids, day0=start, n_days=days)
        cb(1, 3)
        prob = Problem(secs, fo, start, fc.mean, m.alpha)
        base = proportional_baseline(prob)
        plan = solve_milp(prob, time_limit_s=time_limit)
        cb(2, 3)
        out.mkdir(parents=True, exist_ok=True)
        slots = prob.shift_slots()
        ex = explain(plan, prob)
        notes = [*plan.notes, *secs.notes, "forces and rates are notional assumptions (forces.yaml)"]
        doc = {
            "start_day": _day(start),
            "days": days,
            "shifts": [s.model_dump() for s in fo.shifts],
            "expected_attempts": float(prob.shift_demand().sum()),
            "expected_unhandled": plan.total_unhandled,
            "expected_unhandled_baseline": base.total_unhandled,
            "lower_bound": plan.bound,
            "gap": plan.gap,
            "method": plan.method,
            "solver_status": plan.status,
            "solve_s": plan.solve_s,
            "notes": notes,
            "assignments": ex,
        }
        (out / "plan.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        types = sorted(fo.officer_types)
        with (out / "shifts.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "shift", "section", *types, "forecast_attempts", "expected_unhandled"])
            lam = prob.shift_demand()
            for t, (d, k) in enumerate(slots):
                for s, sid in enumerate(secs.ids):
                    per = [int(sum(plan.x[g, s, t] for g, gr in enumerate(fo.groups) if gr.type == ty)) for ty in types]
                    w.writerow([_day(start + d), fo.shifts[k].name, sid, *per, round(float(lam[s, t]), 3),
                                round(float(plan.unhandled[s, t]), 3)])  # fmt: skip
        mean_off = {sid: float(plan.x[:, s, :].sum() / len(slots)) for s, sid in enumerate(secs.ids)}
        unh = {sid: float(plan.unhandled[s].sum()) for s, sid in enumerate(secs.ids)}
        plan_map(sections=secs, officers=mean_off, unhandled=unh, path=out / "map.png", notes=notes)
        cb(3, 3)
    console.print(
        f"expected unhandled attempts over {days} d: plan {plan.total_unhandled:.2f} ({plan.method}), "
        f"proportional baseline {base.total_unhandled:.2f}, lower bound {plan.bound or 0:.2f}; "
        f"solve {plan.solve_s:.1f} s; {len(ex)} assignments explained in {out}/plan.json"
    )
    _ = np
