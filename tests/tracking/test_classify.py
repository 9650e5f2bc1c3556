from __future__ import annotations

import numpy as np

from borderwatch.tracking.classify import default_class_model


def test_hints_speed_and_rcs_make_shahed_likely() -> None:
    m = default_class_model()
    ev = m.hint_loglik(["shahed"] * 5).sum(axis=0, keepdims=True) + m.rcs_loglik(np.array([-10.0, -11.0])).sum(
        axis=0, keepdims=True
    )
    p = m.probabilities(ev, np.array([50.0]), np.array([False]))
    assert m.names[int(np.argmax(p[0]))] == "shahed"
    assert np.isclose(p.sum(), 1.0)


def test_cooperative_prefers_crewed_aircraft() -> None:
    m = default_class_model()
    p = m.probabilities(np.zeros((1, m.n)), np.array([55.0]), np.array([True]))
    assert m.names[int(np.argmax(p[0]))] in ("light_aircraft", "helicopter")
