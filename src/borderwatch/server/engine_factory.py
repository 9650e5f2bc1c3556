"""Build the live engine from the service settings: theatre, sensors.json, shipped effector layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from borderwatch.errors import InputError

if TYPE_CHECKING:
    from borderwatch.server.live import EngineLike
    from borderwatch.server.settings import Settings


def default_engine(settings: Settings) -> EngineLike:
    """The engine for ``borderwatch serve``: no simulated world (outcomes come from reports), no auto-approval."""
    import numpy as np

    from borderwatch.engine import Engine, RunConfig
    from borderwatch.response.effectors import load_layout
    from borderwatch.sensors.reports import read_sensors
    from borderwatch.sim.catalogue import load_catalogue
    from borderwatch.theatre import DEFAULT_THEATRE, load_theatre

    if settings.sensors is None:
        raise InputError("the live engine needs the sensors it will hear from: give --sensors sensors.json")
    sites, _ = read_sensors(settings.sensors)
    th = load_theatre(settings.theatre or DEFAULT_THEATRE)
    guidance = {k: c.guidance for k, c in load_catalogue().classes.items()}
    cfg = RunConfig(
        auto_approve=False,
        emit_interval_s=settings.emit_interval_s,
        track_interval_s=settings.picture_interval_s,
        # tracks move at every step (reports in the picture within a step, not up to frame_s later); new bearing
        # fixes are searched for once per frame_s as in a batch run
        track_flush=settings.track_flush,
        keep_track_points=False,  # no run summary live
        retain_s=settings.retain_s,
    )
    engine = Engine(th, sites, units=load_layout(None), config=cfg, guidance=guidance, rng=np.random.default_rng())
    return engine  # type: ignore[return-value]
