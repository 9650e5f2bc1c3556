"""``borderwatch serve``: the live operations service (signed ingest, picture, decisions) on an SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Protocol

import typer

from borderwatch.cli.common import console, handle_errors

if TYPE_CHECKING:
    from borderwatch.server.run import Background
    from borderwatch.server.settings import Settings


class ServeHook(Protocol):
    """Extends ``serve`` (e.g. ``--replay``): given the settings and the command's options, return the settings
    to use (a replay clock, the scenario's sensors.json) and background tasks to run once the server listens
    (a client that signs and POSTs the scenario's reports like a real sensor)."""

    def __call__(self, settings: Settings, opts: dict[str, object]) -> tuple[Settings, list[Background]]: ...


HOOKS: list[ServeHook] = []
# --track-flush: what the engine steps between the tracker's frame ends do with its open frame (Settings.track_flush)
TRACK_FLUSH: dict[str, bool | Literal["light"]] = {"light": "light", "wait": False, "full": True}


def build_settings(
    *,
    store: str | Path,
    theatre: str | None,
    sensors: Path | None,
    max_skew_s: float,
    emit_interval_s: float,
    mobility: Path | None = None,
    tiles: Path | None = None,
    track_flush: str = "light",
) -> Settings:
    from borderwatch.errors import InputError
    from borderwatch.server.settings import Settings

    if sensors is not None and not sensors.is_file():
        raise InputError("file not found", source=str(sensors), field="--sensors")
    if mobility is not None and not mobility.is_dir():
        raise InputError("not a folder (give the output folder of `borderwatch mobility plan`)", field="--mobility")
    if tiles is not None:
        from borderwatch.server.routes.tiles import open_tiles

        open_tiles(tiles)  # a bad file is refused now, with its reason, not at the first tile
    if not max_skew_s > 0:
        raise InputError(f"must be > 0, got {max_skew_s}", field="--max-skew")
    if not emit_interval_s > 0:
        raise InputError(f"must be > 0, got {emit_interval_s}", field="--emit-interval")
    if track_flush not in TRACK_FLUSH:
        raise InputError(f"must be one of {', '.join(TRACK_FLUSH)}, got {track_flush!r}", field="--track-flush")
    return Settings(
        store=store,
        theatre=theatre,
        sensors=sensors,
        max_skew_s=max_skew_s,
        emit_interval_s=emit_interval_s,
        mobility=mobility,
        tiles=tiles,
        track_flush=TRACK_FLUSH[track_flush],
    )


def scale_settings(
    settings: Settings,
    role: str,
    bus: str | None,
    bus_namespace: str,
    sectors: Path | None,
    sector: str | None,
    replay_clock: str | None,
) -> Settings:
    """The scale-out options (``--role``, ``--bus``, ``--sectors``, ``--sector``, ``--replay-clock``) checked."""
    import dataclasses
    import time

    from borderwatch.errors import InputError
    from borderwatch.scale.roles import ROLES

    if role not in ROLES:
        raise InputError(f"must be one of {', '.join(ROLES)}, got {role!r}", field="--role")
    if role != "all" and not bus:
        raise InputError(f"--role {role} talks to the other processes over JetStream: give --bus nats://…")
    if role == "engine" and sectors is not None and not sector:
        raise InputError("an engine of a sectored deployment needs --sector NAME", field="--sector")
    if sectors is not None and not sectors.is_file():
        raise InputError("file not found", source=str(sectors), field="--sectors")
    new = dataclasses.replace(
        settings, role=role, bus_url=bus, bus_namespace=bus_namespace, sectors_file=sectors, sector=sector
    )
    if role == "engine" and sector:
        from borderwatch.scale.roles import sector_engine_factory
        from borderwatch.scale.sectors import Sectors

        if sector not in Sectors.load(sectors).names:
            raise InputError(f"no sector {sector!r} in {sectors}", field="--sector")
        new = dataclasses.replace(new, engine_factory=sector_engine_factory)
    if replay_clock:
        from borderwatch.server.clock import ReplayClock

        try:
            t0, w0, sp = (float(x) for x in replay_clock.split(","))
        except ValueError:
            raise InputError("must be T0,WALL0,SPEED (three numbers)", field="--replay-clock") from None
        clock = ReplayClock(t0, speed=sp, wall=time.time)
        clock._w0 = w0
        new = dataclasses.replace(new, clock=clock, max_skew_s=max(new.max_skew_s, 5.0 * sp))
    return new


app = typer.Typer()  # this module's commands; borderwatch.cli adds them to the main app


@app.command("serve")
@handle_errors
def serve_cmd(
    store: Annotated[
        str, typer.Option("--store", help="SQLite store file (created if missing) or postgresql://user@host/db.")
    ] = "borderwatch.db",
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    theatre: Annotated[str | None, typer.Option("--theatre", help="Shipped theatre name or a folder.")] = None,
    sensors: Annotated[
        Path | None, typer.Option("--sensors", help="sensors.json of the sensors that will report.")
    ] = None,
    max_skew: Annotated[
        float, typer.Option("--max-skew", help="Allowed |send time - receiver clock| in seconds.")
    ] = 30.0,
    emit_interval: Annotated[float, typer.Option("--emit-interval", help="Engine emit interval, s.")] = 1.0,
    track_flush: Annotated[
        str,
        typer.Option(
            "--track-flush",
            help="Between tracker frame ends, each engine step: light = processes the waiting reports, new "
            "acoustic fixes searched once per frame; wait = leaves them for the frame's end (up to 0.5 s later); "
            "full = processes everything (costly).",
        ),
    ] = "light",
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "warning",
    replay: Annotated[
        str | None,
        typer.Option("--replay", help="Replay a scenario (preset, file, or run folder) as signed live sensors."),
    ] = None,
    speed: Annotated[float, typer.Option("--speed", help="Replay speed, × real time.")] = 10.0,
    asterix_udp: Annotated[
        str | None,
        typer.Option(
            "--asterix-udp",
            help="Receive ASTERIX CAT048/034/021 on UDP [HOST:]PORT[@GROUP]; radars need sac/sic in sensors.json.",
        ),
    ] = None,
    asterix_out: Annotated[
        str | None, typer.Option("--asterix-out", help="Send the system tracks as CAT062 to HOST:PORT over UDP.")
    ] = None,
    mobility: Annotated[
        Path | None,
        typer.Option("--mobility", help="Output folder of `borderwatch mobility` (defence-line layer of the map)."),
    ] = None,
    tiles: Annotated[
        Path | None, typer.Option("--tiles", help="Offline base-map tiles: an .mbtiles or .pmtiles file.")
    ] = None,
    demo_users: Annotated[
        bool, typer.Option("--demo-users", help="Create operator/viewer/admin with random passwords (printed).")
    ] = False,
    sbs: Annotated[
        list[str] | None, typer.Option("--sbs", help="ADS-B receiver's SBS-1 feed HOST:PORT (dump1090: 30003).")
    ] = None,
    beast: Annotated[
        list[str] | None, typer.Option("--beast", help="ADS-B receiver's Beast feed HOST:PORT (dump1090: 30005).")
    ] = None,
    adsb_sensor: Annotated[
        str | None, typer.Option("--adsb-sensor", help="The receiver's id in --sensors (default: the only adsb).")
    ] = None,
    adsb_time: Annotated[
        str, typer.Option("--adsb-time", help="Report time: arrival (our clock) or message (the feed's, as UTC).")
    ] = "arrival",
    cot_out: Annotated[
        list[str] | None,
        typer.Option("--cot-out", help="Send tracks and alerts as CoT: tcp://H:P, tls://H:P or udp://GROUP:P."),
    ] = None,
    cot_format: Annotated[str, typer.Option("--cot-format", help="CoT encoding: xml or proto (TAK v1).")] = "xml",
    cot_cert: Annotated[str | None, typer.Option("--cot-cert", help="TLS client certificate (PEM).")] = None,
    cot_key: Annotated[str | None, typer.Option("--cot-key", help="TLS client key (PEM).")] = None,
    cot_ca: Annotated[str | None, typer.Option("--cot-ca", help="CA of the TAK server (PEM).")] = None,
    cot_in: Annotated[
        str | None, typer.Option("--cot-in", help="Hear friendly CoT on udp://GROUP:PORT or tcp://HOST:PORT.")
    ] = None,
    sapient: Annotated[
        str | None,
        typer.Option(
            "--sapient",
            help="Listen as SAPIENT (BSI Flex 335 v2) fusion node on TCP [HOST:]PORT; nodes need sapient_node_id "
            "in sensors.json.",
        ),
    ] = None,
    sapient_cert: Annotated[
        str | None, typer.Option("--sapient-cert", help="TLS certificate (PEM) of the SAPIENT listener.")
    ] = None,
    sapient_key: Annotated[str | None, typer.Option("--sapient-key", help="Its private key (PEM).")] = None,
    sapient_ca: Annotated[
        str | None, typer.Option("--sapient-ca", help="CA (PEM) that must have signed every node's certificate.")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", help="Process role: all | gateway | engine | api (scale-out, needs --bus).")
    ] = "all",
    bus: Annotated[
        str | None, typer.Option("--bus", help="NATS JetStream URL (nats://127.0.0.1:4222); default in-process.")
    ] = None,
    bus_namespace: Annotated[str, typer.Option("--bus-namespace", help="Prefix of subjects and streams.")] = "",
    sectors: Annotated[
        Path | None, typer.Option("--sectors", help="Sectors YAML (polygons, overlap band) of a sectored deployment.")
    ] = None,
    sector: Annotated[str | None, typer.Option("--sector", help="The sector of an engine process.")] = None,
    replay_clock: Annotated[
        str | None,
        typer.Option("--replay-clock", help="T0,WALL0,SPEED: scenario time T0 at UTC epoch WALL0, SPEED × real time."),
    ] = None,
) -> None:
    """Run the live service: sensors POST signed reports, operators watch and decide over HTTP/WebSocket."""
    from borderwatch.server.run import serve

    settings = build_settings(
        store=store if "://" in store else Path(store),
        theatre=theatre,
        sensors=sensors,
        max_skew_s=max_skew,
        emit_interval_s=emit_interval,
        mobility=mobility,
        tiles=tiles,
        track_flush=track_flush,
    )
    settings = scale_settings(settings, role, bus, bus_namespace, sectors, sector, replay_clock)
    background: list[Background] = []
    opts: dict[str, object] = {
        "host": host,
        "port": port,
        "replay": replay,
        "speed": speed,
        "asterix_udp": asterix_udp,
        "asterix_out": asterix_out,
    }
    opts.update(sbs=sbs, beast=beast, adsb_sensor=adsb_sensor, adsb_time=adsb_time, cot_out=cot_out)
    opts.update(cot_format=cot_format, cot_cert=cot_cert, cot_key=cot_key, cot_ca=cot_ca, cot_in=cot_in)
    opts.update(sapient=sapient, sapient_cert=sapient_cert, sapient_key=sapient_key, sapient_ca=sapient_ca)
    hooks = list(HOOKS)
    if replay:
        from borderwatch.errors import InputError
        from borderwatch.server.replay import hook as replay_hook

        if not speed > 0:
            raise InputError(f"must be > 0, got {speed}", field="--speed")
        console.print(f"preparing the replay of {replay} (simulating if needed) …")
        hooks.append(replay_hook)
    if asterix_udp or asterix_out:
        from borderwatch.interop.udp import hook as asterix_hook

        hooks.append(asterix_hook)
    if sbs or beast or cot_out or cot_in:
        from borderwatch.server.tak import hook as tak_hook

        hooks.append(tak_hook)
    if sapient or sapient_cert or sapient_key or sapient_ca:
        from borderwatch.interop.sapient_tcp import hook as sapient_hook

        hooks.append(sapient_hook)
    created: dict[str, str] = {}
    if demo_users:
        from borderwatch.server.replay import demo_users as make_users

        created = make_users(store)
    for hook in hooks:
        settings, extra = hook(settings, opts)
        background += extra
    if settings.sensors is None and settings.role in ("all", "engine"):
        from borderwatch.errors import InputError

        raise InputError("the engine needs the sensors that will report: give --sensors sensors.json")

    def listening(url: str) -> None:
        console.print(f"borderwatch serving on [bold]{url}[/] (API docs {url}/docs, metrics {url}/metrics)")
        console.print(
            "log in: POST /api/v1/login {name, password} → bearer token; "
            "create users with `borderwatch users add`, sensors with `borderwatch sensors add`"
        )
        for name, pw in created.items():
            console.print(f"  user [bold]{name}[/] password [bold]{pw}[/] (shown once)")
        if demo_users and not created:
            console.print("  users operator/viewer/admin exist already (passwords as first printed)")
        if asterix_udp:
            console.print(f"ASTERIX in on UDP {asterix_udp}")
        if asterix_out:
            console.print(f"CAT062 out to UDP {asterix_out}")
        if sapient:
            console.print(f"SAPIENT fusion node on TCP {sapient}")
        if replay:
            console.print(f"replaying {replay} at {speed:g}× real time through signed HTTP ingest")

    serve(settings, host=host, port=port, background=background, on_listening=listening, log_level=log_level)
