"""A sector engine: the one :class:`~borderwatch.engine.Engine` on a sector's sensors, with track hand-over.

Track identity across sectors (the "gid"): a track born in an engine gets ``<sector>-<local id>``. While a
track of this engine has never been shown by it, it looks at the neighbours' newest published tracks (their
``picture.snapshot.<sector>`` on the bus, :meth:`SectorEngine.observe`): a neighbour track within ``gate_m``
(positions projected to the same time with the neighbour's velocity) lends its gid, one-to-one, nearest first.
So a drone that flies from sector A into B is first seen by B in the overlap band, where A shows it; B's track
takes A's gid there, and when the drone crosses the seam B shows it under the same id. Once an engine has shown
a track its gid is fixed.

Which engine shows a track: the one whose core holds its position — unless that sector's engine does not
have the track (it published no track with that gid), for example a long-range sensor of this sector sees
deep into the other; then this engine shows it. An engine drops a track from the picture (``track_dropped``
under the gid) only if it was showing it. Records that belong to a track (assessments, alerts,
recommendations, engagements) are shown by the engine that shows the track, with the track's gid; their own
ids get the sector as prefix (``north:R12``) so that they are unique across engines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from borderwatch.scale.sectors import Sectors

SEP = ":"  # sector-prefixed record ids: north:R12
TRACK_KEYED = ("alert", "recommendation", "engagement", "decision")


class SectorEngine:
    """Wraps an engine (:class:`borderwatch.server.live.EngineLike`) for one sector; itself an EngineLike."""

    def __init__(self, engine: Any, sectors: Sectors, sector: str, *, neighbour_max_age_s: float = 30.0) -> None:
        if sector not in sectors.by_name:
            raise ValueError(f"unknown sector {sector!r}")
        self.engine = engine
        self.sectors = sectors
        self.sector = sector
        self.gate_m = sectors.gate_m
        self.neighbour_max_age_s = neighbour_max_age_s
        self.gid: dict[str, str] = {}  # local track id -> gid
        self.fixed: set[str] = set()  # local ids shown at least once (their gid no longer changes)
        self.shown: set[str] = set()  # local ids shown at the last step
        self.tracks: dict[str, dict[str, Any]] = {}  # local id -> newest estimate
        self.neighbours: dict[str, tuple[float, list[dict[str, Any]]]] = {}  # sector -> (wall time, tracks)
        self.adopted = 0  # gids taken from a neighbour (hand-overs received)

    # -- EngineLike ---------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return float(self.engine.now)

    def check(self, report: dict[str, Any]) -> tuple[Any, str | None]:
        return self.engine.check(report)  # type: ignore[no-any-return]

    def feed(self, reports: Sequence[Any]) -> None:
        self.engine.feed(reports)

    def advance(self, t: float) -> list[dict[str, Any]]:
        return self.translate([_plain(d) for d in self.engine.advance(t)])

    def decide(self, rec_id: str, *, approve: bool, who: str, reason: str | None, t: float) -> Any:
        return self.engine.decide(self._local(rec_id), approve=approve, who=who, reason=reason, t=t)

    def acknowledge(self, alert_id: str, *, who: str, t: float) -> Any:
        return self.engine.acknowledge(self._local(alert_id), who=who, t=t)

    def picture(self) -> dict[str, Any]:
        pic = dict(self.engine.picture())
        shown = self.shown
        pic["tracks"] = [self._track_out(k, tr) for k, tr in self.tracks.items() if k in shown]
        pic["assessments"] = [
            self._keyed_out(a, "track") for a in pic.get("assessments", []) if a.get("track") in shown
        ]
        for name in ("alerts", "recommendations", "engagements"):
            pic[name] = [self._record_out(r) for r in pic.get(name, []) if self._shown_record(r)]
        pic["sector"] = {
            "name": self.sector,
            "wall": time.time(),
            "tracks": [
                {
                    "gid": self.gid[k],
                    "t": tr.get("t"),
                    "lat": tr.get("lat"),
                    "lon": tr.get("lon"),
                    "vel_enu_mps": tr.get("vel_enu_mps"),
                    "shown": k in shown,
                }
                for k, tr in self.tracks.items()
                if k in self.gid
            ],
        }
        return pic

    # -- hand-over ----------------------------------------------------------------------------------
    def observe(self, sector: str, tracks: list[dict[str, Any]], wall: float | None = None) -> None:
        """A neighbour's newest tracks (the ``sector.tracks`` of its snapshot)."""
        if sector != self.sector:
            self.neighbours[sector] = (time.time() if wall is None else wall, list(tracks))

    def _neighbour_tracks(self) -> list[tuple[str, dict[str, Any]]]:
        now = time.time()
        return [
            (s, tr)
            for s, (w, trs) in self.neighbours.items()
            if now - w <= self.neighbour_max_age_s
            for tr in trs
            if isinstance(tr, dict) and isinstance(tr.get("gid"), str)
        ]

    def _resolve(self, current: dict[str, dict[str, Any]]) -> None:
        """Give every current track a gid: a neighbour's (within the gate, nearest first) or a new one."""
        theirs = self._neighbour_tracks()
        mine_fixed = {self.gid[k] for k in current if k in self.fixed and k in self.gid}
        pairs: list[tuple[float, str, str]] = []
        for k, tr in current.items():
            if k in self.fixed or not self.sectors.in_overlap(self.sector, float(tr["lat"]), float(tr["lon"])):
                continue
            for _, nt in theirs:
                if nt["gid"] in mine_fixed:
                    continue
                d = _distance_m(tr, nt)
                if d <= self.gate_m:
                    pairs.append((d, k, nt["gid"]))
        pairs.sort()
        taken_k: set[str] = set()
        taken_g: set[str] = set(mine_fixed)
        for _, k, g in pairs:
            if k in taken_k or g in taken_g:
                continue
            if self.gid.get(k) != g:
                self.adopted += 1
            self.gid[k] = g
            taken_k.add(k)
            taken_g.add(g)
        for k in current:
            if k in taken_k or k in self.fixed:
                continue
            mine = self.gid.get(k)
            if mine is None or mine in taken_g:  # new, or its borrowed gid went to a nearer track of ours
                self.gid[k] = f"{self.sector}-{k}"

    def _shows(self, k: str, tr: dict[str, Any], owners_gids: dict[str, set[str]]) -> bool:
        owner = self.sectors.owner(float(tr["lat"]), float(tr["lon"]))
        if owner == self.sector or owner is None:
            return True
        return self.gid[k] not in owners_gids.get(owner, set())

    def translate(self, deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The engine's deltas of one step as this sector shows them (gids; only what this sector shows)."""
        current = {d["id"]: d["data"] for d in deltas if d["kind"] == "track"}
        dropped = [d["id"] for d in deltas if d["kind"] == "track_dropped"]
        if current:
            self.tracks.update(current)
            self._resolve(current)
        for k in dropped:
            self.tracks.pop(k, None)
        gids_of: dict[str, set[str]] = {}
        for s, nt in self._neighbour_tracks():
            gids_of.setdefault(s, set()).add(nt["gid"])
        was = self.shown
        now_shown = {k for k, tr in self.tracks.items() if k in self.gid and self._shows(k, tr, gids_of)}
        self.fixed |= now_shown
        self.shown = now_shown
        out: list[dict[str, Any]] = []
        for d in deltas:
            kind = d["kind"]
            if kind == "track":
                if d["id"] in now_shown:
                    out.append({**d, "id": self.gid[d["id"]], "data": self._track_out(d["id"], d["data"])})
            elif kind == "track_dropped":
                if d["id"] in was and d["id"] in self.gid:
                    g = self.gid[d["id"]]
                    out.append({**d, "id": g, "data": {"track": g, "sector": self.sector}})
            elif kind == "assessment":
                if d["id"] in now_shown:
                    out.append({**d, "id": self.gid[d["id"]], "data": self._keyed_out(d["data"], "track")})
            elif kind in TRACK_KEYED:
                if self._shown_record(d["data"]):
                    rec = self._record_out(d["data"])
                    out.append({**d, "id": rec.get("id", self._global(d["id"])), "data": rec})
            else:
                out.append(d)
        # a track this sector showed and now leaves to a neighbour: no drop (the neighbour shows it now)
        for k in dropped:
            self.gid.pop(k, None)
            self.fixed.discard(k)
        return out

    # -- naming -------------------------------------------------------------------------------------
    def _global(self, rid: str) -> str:
        return f"{self.sector}{SEP}{rid}"

    def _local(self, rid: str) -> str:
        pre = f"{self.sector}{SEP}"
        return rid[len(pre) :] if rid.startswith(pre) else rid

    def _track_out(self, k: str, tr: dict[str, Any]) -> dict[str, Any]:
        return {**tr, "track": self.gid.get(k, k), "local": k, "sector": self.sector}

    def _keyed_out(self, rec: dict[str, Any], key: str) -> dict[str, Any]:
        out = dict(rec)
        if isinstance(out.get(key), str):
            out[key] = self.gid.get(out[key], out[key])
        out["sector"] = self.sector
        return out

    def _shown_record(self, rec: dict[str, Any]) -> bool:
        tr = rec.get("track")
        return not isinstance(tr, str) or tr in self.shown or tr not in self.gid

    def _record_out(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = self._keyed_out(rec, "track")
        for key in ("id", "recommendation", "alert"):
            if isinstance(out.get(key), str):
                out[key] = self._global(out[key])
        return out


def _plain(d: Any) -> dict[str, Any]:
    if isinstance(d, dict):
        return d
    return {"t": float(d.t), "kind": str(d.kind), "id": str(d.id), "data": d.data}


def _distance_m(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Horizontal distance (m) between two track states, ``b`` projected to ``a``'s time with its velocity."""
    try:
        lat_a, lon_a, lat_b, lon_b = float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"])
        dt = float(a.get("t") or 0.0) - float(b.get("t") or 0.0)
        ve, vn = (b.get("vel_enu_mps") or [0.0, 0.0])[:2]
    except (KeyError, TypeError, ValueError):
        return math.inf
    if not abs(dt) <= 120.0:
        dt = 0.0
    kx = 111_320.0 * math.cos(math.radians(lat_a))
    dx = (lon_a - lon_b) * kx - float(ve) * dt
    dy = (lat_a - lat_b) * 110_574.0 - float(vn) * dt
    d = math.hypot(dx, dy)
    return d if math.isfinite(d) else math.inf
