"""One picture from the sector engines' snapshots (a pure function), and the API's view built on it.

Every API server computes the same merged picture from the same bus messages: the union of the sectors'
shown tracks by gid (a gid shown by two sectors at once, for the instant of a hand-over, keeps the newer
state), the union of their records by id, and the effectors of the first sector (each engine carries the
whole layout). The merged feed numbers deltas with the JetStream stream sequence of the PICTURE stream, which
is the same on every API server, so a WebSocket client that reconnects to another API server resumes from
its last sequence (or gets a snapshot when that server no longer buffers it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from borderwatch.bus import SUBJECT_DELTA, SUBJECT_SNAPSHOT
from borderwatch.server.view import PictureView

log = logging.getLogger("borderwatch.scale.merge")
EPOCH = "scale"


def merge_pictures(pictures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The merged picture of the sectors' pictures (sector name -> picture), deterministic in its input."""
    tracks: dict[str, dict[str, Any]] = {}
    assessments: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, dict[str, Any]]] = {"alerts": {}, "recommendations": {}, "engagements": {}}
    effectors: list[Any] = []
    ts: list[float] = []
    sectors: dict[str, Any] = {}
    for name in sorted(pictures):
        pic = pictures[name]
        if not isinstance(pic, dict):
            continue
        t = pic.get("t")
        if isinstance(t, int | float):
            ts.append(float(t))
        sec_raw = pic.get("sector")
        sec: dict[str, Any] = sec_raw if isinstance(sec_raw, dict) else {}
        sectors[name] = {"t": t, "tracks": len(pic.get("tracks") or []), "wall": sec.get("wall")}
        for tr in pic.get("tracks") or []:
            g = str(tr.get("track"))
            old = tracks.get(g)
            if old is None or float(tr.get("t") or 0) > float(old.get("t") or 0):
                tracks[g] = tr
        for a in pic.get("assessments") or []:
            g = str(a.get("track"))
            old = assessments.get(g)
            if old is None or float(a.get("t") or 0) > float(old.get("t") or 0):
                assessments[g] = a
        for key, book in records.items():
            for r in pic.get(key) or []:
                book[str(r.get("id"))] = r
        if not effectors:
            effectors = list(pic.get("effectors") or [])
    return {
        "t": min(ts) if ts else None,
        "tracks": [tracks[k] for k in sorted(tracks)],
        "assessments": [assessments[k] for k in sorted(assessments) if k in tracks],
        "alerts": [records["alerts"][k] for k in sorted(records["alerts"])],
        "recommendations": [records["recommendations"][k] for k in sorted(records["recommendations"])],
        "effectors": effectors,
        "engagements": [records["engagements"][k] for k in sorted(records["engagements"])],
        "sectors": sectors,
    }


def _sector_of(subject: str, root: str) -> str | None:
    if subject == root:
        return ""
    if subject.startswith(root + "."):
        return subject[len(root) + 1 :]
    return None


class MergedPictureView(PictureView):
    """The API's picture in a sectored deployment: merged snapshots, deltas renumbered by the stream sequence."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.pictures: dict[str, dict[str, Any]] = {}
        self.epoch = EPOCH
        self.snapshot = {"type": "snapshot", "epoch": EPOCH, "seq": 0, "t": None, "picture": merge_pictures({})}
        self.snapshot_raw = json.dumps(self.snapshot).encode()

    async def _run(self) -> None:
        async for msg in self._sub:
            try:
                self._apply_seq(msg.subject, msg.data, int(msg.seq))
            except Exception:
                log.exception("bad picture message on %s", msg.subject)
            async with self._changed:
                self._changed.notify_all()

    def _apply_seq(self, subject: str, data: bytes, seq: int) -> None:
        snap_sector = _sector_of(subject, SUBJECT_SNAPSHOT)
        if snap_sector is not None:
            snap = json.loads(data)
            self.pictures[snap_sector or "_"] = snap.get("picture") or {}
            merged = merge_pictures(self.pictures)
            self.seq = max(self.seq, seq)
            self.snapshot = {"type": "snapshot", "epoch": EPOCH, "seq": self.seq, "t": merged["t"], "picture": merged}
            self.snapshot_raw = json.dumps(self.snapshot, separators=(",", ":")).encode()
            return
        delta_sector = _sector_of(subject, SUBJECT_DELTA)
        if delta_sector is None:
            return
        head = json.loads(data)
        head.update(epoch=EPOCH, seq=seq, sector=delta_sector or None)
        body = json.dumps(head, separators=(",", ":")).encode()
        self.seq = max(self.seq, seq)
        self.recent.append((seq, body))
        for c in list(self.clients):
            c.push(seq, body)
