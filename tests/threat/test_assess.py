"""Threat assessment and alerts on perfect tracks made from truth (the tracker is tested elsewhere)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
import shapely

from borderwatch.sim import load_scenario, simulate
from borderwatch.sim.truth import TruthTable
from borderwatch.theatre.model import Theatre
from borderwatch.threat import AlertBook, AlertKind, Identity, ThreatAssessor, TrackPoint
from borderwatch.threat.model import Crossing

COV = ((400.0, 0.0, 0.0), (0.0, 400.0, 0.0), (0.0, 0.0, 900.0))


def perfect_tracks(truth: TruthTable, every_s: float = 5.0) -> list[tuple[float, list[TrackPoint]]]:
    """Truth as confirmed tracks (class known with P=0.9), sampled every ``every_s``."""
    out = []
    t0 = float(truth.t.min())
    for t, rows in truth.at_times():
        if (t - t0) % every_s:
            continue
        pts = []
        for k in rows:
            ti = truth.targets[int(truth.idx[k])]
            pts.append(
                TrackPoint(
                    t=t,
                    track=f"trk-{ti.id}",
                    lat=float(truth.lat[k]),
                    lon=float(truth.lon[k]),
                    alt_m=float(truth.alt[k]),
                    vel_enu_mps=(float(truth.vel[k, 0]), float(truth.vel[k, 1]), float(truth.vel[k, 2])),
                    cov_pos_enu_m2=COV,
                    status="confirmed",
                    cls={ti.cls: 0.9, "birds" if ti.cls != "birds" else "quadcopter": 0.1},
                    cooperative=ti.cooperative,
                    icao=ti.icao,
                )
            )
        out.append((t, pts))
    return out


def _run(name: str, theatre: Theatre) -> tuple[dict[str, list], AlertBook, TruthTable]:  # type: ignore[type-arg]
    truth = simulate(load_scenario(name), theatre)
    assessor = ThreatAssessor(theatre)
    book = AlertBook(theatre)
    seen: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for t, pts in perfect_tracks(truth):
        for a in assessor.step(t, pts):
            seen[a.track].append(a)
        book.update(t, assessor.step(t, []) if not pts else [seen[p.track][-1] for p in pts])
    book.update(float(truth.t.max()) + 60.0, [])  # everything has gone quiet: lost tracks
    return seen, book, truth


@pytest.fixture(scope="module")
def stray(theatre: Theatre):  # type: ignore[no-untyped-def]
    return _run("stray-drones-north", theatre)


def test_stray_drone_is_hostile_and_predicted_to_cross(stray) -> None:  # type: ignore[no-untyped-def]
    seen, _, truth = stray
    for ti in truth.targets:
        hist = seen[f"trk-{ti.id}"]
        if ti.cls == "stray_lr":
            assert hist[0].launch_side == "RU"
            assert hist[-1].identity == Identity.HOSTILE
            # once veered toward Latvia, a crossing is predicted before it happens
            pred = [a for a in hist if a.crossing is not None and not a.inside]
            crossed = [a for a in hist if a.inside]
            assert pred and crossed
            actual = crossed[0].t
            last_pred = pred[-1].crossing
            assert last_pred is not None and abs(last_pred.t - actual) < 60
        else:
            assert ti.cooperative and hist[-1].identity == Identity.FRIEND


def test_stray_alerts_and_cooperative_none(stray) -> None:  # type: ignore[no-untyped-def]
    seen, book, truth = stray
    kinds: dict[str, set[str]] = defaultdict(set)
    for al in book.alerts.values():
        kinds[al.track].add(al.kind.value)
    for ti in truth.targets:
        k = kinds.get(f"trk-{ti.id}", set())
        if ti.cls == "stray_lr":
            assert {AlertKind.PREDICTED_CROSSING.value, AlertKind.CROSSED.value} <= k, (ti.id, k)
            # fuel runs out inside Latvia: possible crash (one drone drifts on into Estonia)
            assert (AlertKind.LOST_INSIDE.value in k) == seen[f"trk-{ti.id}"][-1].inside
        else:
            assert k == set(), (ti.id, k)


def test_alerts_deduplicated_and_acknowledged(stray) -> None:  # type: ignore[no-untyped-def]
    _, book, _ = stray
    keys = [(a.track, a.kind, a.asset) for a in book.alerts.values()]
    assert len(keys) == len(set(keys))
    first = next(iter(book.alerts))
    n_open = len(book.open)
    al = book.acknowledge(first, who="duty officer", t=1.0)
    assert al.acknowledged_by == "duty officer" and len(book.open) == n_open - 1
    assert book.acknowledge(first, who="someone else", t=2.0).acknowledged_by == "duty officer"


def test_night_raid_threatens_assets(theatre: Theatre) -> None:
    seen, book, truth = _run("latgale-night-raid", theatre)
    shahed = [ti for ti in truth.targets if ti.cls == "shahed"]
    threatened = {a.asset for ti in shahed for x in seen[f"trk-{ti.id}"] for a in x.assets}
    assert {"Rēzekne", "Daugavpils", "Riga"} <= threatened
    scores = [x.score for ti in shahed for x in seen[f"trk-{ti.id}"]]
    assert max(scores) > 0.5 and min(scores) >= 0.0
    assert any(a.kind == AlertKind.APPROACHING_ASSET for a in book.alerts.values())
    assert np.all([x.identity == Identity.HOSTILE for ti in shahed for x in seen[f"trk-{ti.id}"][-3:]])


def _one_crossing(a: ThreatAssessor, t: float, x: float, y: float, vx: float, vy: float, var_pos: float) -> object:
    """Reference: one track's crossing by a loop over the watched segments (what the assessor did per track)."""
    cfg = a.config.prediction
    speed = float(np.hypot(vx, vy))
    if speed < cfg.min_speed_mps.value:
        return None
    horizon = cfg.horizon_s.value
    path = shapely.LineString([(x, y), (x + vx * horizon, y + vy * horizon)])
    best: tuple[float, float, float, str] | None = None
    for seg_id, geom in a._segments:
        inter = shapely.intersection(path, geom)
        if inter.is_empty:
            continue
        for p in shapely.get_parts(inter):
            if p.geom_type != "Point":
                continue
            dist = float(np.hypot(p.x - x, p.y - y))
            if best is None or dist < best[0]:
                best = (dist, p.x, p.y, seg_id)
    if best is None:
        return None
    dist, px, py, seg_id = best
    tau = dist / speed
    sig = float(np.sqrt(var_pos + (cfg.velocity_sigma_mps.value * tau) ** 2))
    lat, lon = a.theatre.unproject(shapely.Point(px, py)).coords[0][::-1]
    return Crossing(t + tau, float(lat), float(lon), seg_id, sig, sig / speed)


def test_crossings_for_many_tracks_equal_the_one_track_prediction(theatre: Theatre) -> None:
    """The vectorised crossing prediction (one tree query over the border's edges for all tracks) gives the
    crossings the per-track prediction gives: time, place, segment and uncertainty, and None where it does."""
    a = ThreatAssessor(theatre)
    rng = np.random.default_rng(11)
    n = 600
    lat = rng.uniform(55.6, 57.7, n)
    lon = rng.uniform(26.3, 29.6, n)
    ve, vn = rng.normal(0, 40, n), rng.normal(0, 40, n)
    ve[:20] = vn[:20] = 0.0  # too slow to predict
    x, y, vx, vy = a.grid_state(lat, lon, ve, vn)
    var = rng.uniform(10.0, 1e4, n)
    many = a._predict_crossings(100.0, x, y, vx, vy, var)
    one = [_one_crossing(a, 100.0, x[i], y[i], vx[i], vy[i], float(var[i])) for i in range(n)]
    assert sum(c is not None for c in one) > 50, "the sample holds tracks heading for the border"
    assert many == one
    assert a._predict_crossings(0.0, x[:0], y[:0], vx[:0], vy[:0], var[:0]) == []
