"""Multi-sensor multi-target tracking: IMM/EKF filters, sparse GNN + cheap JPDA association, radar and
bearing-only initiation, sound-delay-aware acoustic updates, ADS-B identity, classification; metrics.

Library entry points: :class:`Tracker` (stepper), :func:`run_tracker` (iterator over a report stream) and
:func:`track_files` (reports.jsonl + sensors.json → tracks.jsonl).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from borderwatch.errors import InputError
from borderwatch.tracking.tracker import Tracker, TrackerConfig, TrackerSummary, TrackEstimate, run_tracker

__all__ = ["TrackEstimate", "Tracker", "TrackerConfig", "TrackerSummary", "run_tracker", "track_files"]


def track_files(
    reports: Path | str,
    sensors: Path | str,
    out: Path | str,
    *,
    config: TrackerConfig | None = None,
    emit_interval_s: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the tracker over a reports.jsonl file and write tracks.jsonl; returns the run summary (dict) with
    rejected reports by reason (from the reader, the sensors file and the tracker). ``progress`` gets (bytes of
    the reports file read, its size).

    Raises
    ------
    InputError
        When not one report was accepted (an empty or garbage file, sensors.json given as the reports file, reports
        of other sensors): one line with the commonest reasons.
    """
    from borderwatch.sensors.reports import read_reports, read_sensors
    from borderwatch.tracking.io import write_tracks

    sites, sens_rej = read_sensors(sensors)
    stream = read_reports(reports)
    stream.progress = progress
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
    if summary.accepted == 0:
        raise InputError(no_valid_reports(stream.rejected + summary.rejected - sens_rej), source=str(reports))
    d = summary.to_dict()
    d["lines"] = lines
    return d


def no_valid_reports(rejected: Counter[str]) -> str:
    """The one-line message for a reports file of which nothing was usable, naming the commonest reasons.

    >>> no_valid_reports(Counter({"line: not JSON": 12}))
    'no valid report in the file (12 lines rejected: line: not JSON ×12); is it a reports.jsonl?'
    """
    n = sum(rejected.values())
    if n == 0:
        return "no report in the file (empty); is it a reports.jsonl?"
    top = "; ".join(f"{r} ×{k}" for r, k in rejected.most_common(3))
    return f"no valid report in the file ({n} lines rejected: {top}); is it a reports.jsonl?"
