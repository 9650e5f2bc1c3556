from __future__ import annotations

import numpy as np

from borderwatch.crossings.sections import Sections
from borderwatch.crossings.synthetic import generate, load_calibration


def test_lv_by_level_matches_the_published_figure_and_says_so(secs: Sections) -> None:
    cal = load_calibration()
    rate = cal.segments["LV-BY"]
    assert "issue 14" in rate.attempts.source
    syn = generate(secs, day0=20_000, n_days=212, rng=np.random.default_rng(5))
    by = np.array([s.segment == "LV-BY" for s in secs.sections])
    assert syn.expected[by].sum() == np.float64(syn.expected[by].sum())
    assert abs(syn.expected[by].sum() - rate.attempts.value) < 1e-6 * rate.attempts.value
    drawn = sum(1 for e in syn.events if e.category == "unauthorised_crossing" and e.section.startswith("LV-BY"))
    assert abs(drawn - rate.attempts.value) < 0.15 * rate.attempts.value  # NB noise around the level
    assert all(e.description.startswith("synthetic") for e in syn.events)
    assert any(e.category == "refusal_of_entry" for e in syn.events)


def test_same_seed_same_events(secs: Sections) -> None:
    a = generate(secs, day0=20_000, n_days=10, rng=np.random.default_rng(9))
    b = generate(secs, day0=20_000, n_days=10, rng=np.random.default_rng(9))
    assert a.events == b.events
