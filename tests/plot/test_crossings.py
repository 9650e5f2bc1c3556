"""The weekly situation report is one self-contained HTML page; the plan map is written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from borderwatch.crossings.forecast import daily_counts, fit, predict
from borderwatch.crossings.impact import daily_metrics, load_rules, section_levels
from borderwatch.crossings.sections import load_sections
from borderwatch.crossings.synthetic import generate
from borderwatch.plot.crossings import plan_map, weekly_report_html
from borderwatch.theatre import load_theatre


def test_weekly_report_is_self_contained_and_plan_map_is_written(tmp_path: Path) -> None:
    secs = load_sections(load_theatre())
    d0, n = 20_300, 63
    syn = generate(secs, day0=d0, n_days=n, rng=np.random.default_rng(2))
    ev = [e for e in syn.events if e.category == "unauthorised_crossing"]
    counts = daily_counts(ev, section_ids=secs.ids, day0=d0, n_days=n)
    fc = predict(fit(counts, day0=d0), section_ids=secs.ids, day0=d0 + n, n_days=7)
    w0 = d0 + n - 7
    m = daily_metrics(ev, section_ids=secs.ids, day0=w0, n_days=7)
    lv = section_levels(ev, section_ids=secs.ids, days=list(range(w0, w0 + 7)), rules=load_rules())
    page = weekly_report_html(
        sections=secs, week_start_day=w0, events=[e for e in ev if e.time_s >= w0 * 86400.0], levels=lv,
        counts=m["attempts"].sum(axis=1), persons=m["persons"].sum(axis=1), history_day0=d0, history=counts,
        forecast=fc, overdue=["EV-X"], notes=[syn.note],
    )  # fmt: skip
    assert page.count("<img") == 3 == page.count('src="data:image/png;base64,')
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
    assert "@import" not in page and "<script" not in page and "<link" not in page
    for s in secs.ids:
        assert f"<td>{s}</td>" in page
    assert "EV-X" in page and "synthetic" in page
    out = plan_map(sections=secs, officers=dict.fromkeys(secs.ids, 2.0), unhandled={}, path=tmp_path / "m.png",
                   notes=["n"])  # fmt: skip
    assert out.stat().st_size > 10_000
