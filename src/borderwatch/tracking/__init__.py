"""Multi-sensor multi-target tracking: IMM/EKF filters, sparse GNN + cheap JPDA association, radar and
bearing-only initiation, sound-delay-aware acoustic updates, ADS-B identity, classification; metrics.

Library entry points: :class:`Tracker` (stepper), :func:`run_tracker` (iterator over a report stream) and
:func:`track_files` (reports.jsonl + sensors.json → tracks.jsonl).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from borderwatch.tracking.tracker import Tracker, TrackerConfig, TrackerSummary, TrackEstimate, run_tracker

__all__ = ["TrackEstimate", "Tracker", "TrackerConfig", "TrackerSummary", "run_tracker", "track_files"]


def track_files(
    reports: Path | str,
    sensors: Path | str,
    out: Path | str,
    *,
    config: TrackerConfig | None = None,
    emit_interval_s: float = 1.0,
) -> dict[str, Any]:
    """Run the tracker over a reports.jsonl file and write tracks.jsonl; returns the run summary (dict) with
    rejected reports by reason (from the reader, the sensors file and the tracker)."""
    from borderwatch.sensors.reports import read_reports, read_sensors
    from borderwatch.tracking.io import write_tracks

    sites, sens_rej = read_sensors(sensors)
    stream = read_reports(reports)
    outp = Path(out)
    outp.parent.mkdir(parents=True, exist_ok=True)
    summary: TrackerSummary | None = None
    lines = 0
    with outp.open("w", encoding="utf-8") as fh:
        for item in run_tracker(stream, sites, config=config, emit_interval_s=emit_interval_s):
            if isinstance(item, TrackerSummary):
                summary = item
            else:
                lines += write_tracks([item], fh)
    assert summary is not None
    summary.rejected.update(stream.rejected)
    summary.rejected.update(sens_rej)
    d = summary.to_dict()
    d["lines"] = lines
    return d
