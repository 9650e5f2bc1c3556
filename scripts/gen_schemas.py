"""Write the JSON Schemas of borderwatch's file formats into docs/schemas/ (kept in sync by a test)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def schemas() -> dict[str, dict[str, Any]]:
    from borderwatch.crossings.allocate import ForcesFile
    from borderwatch.crossings.impact import ImpactRules
    from borderwatch.crossings.model import EventData, EventVersion
    from borderwatch.crossings.sections import SectionsFile
    from borderwatch.crossings.synthetic import Calibration
    from borderwatch.response.effectors import EffectorCatalogue, LayoutFile
    from borderwatch.schemas import (
        ALERT_LINE,
        ASSESSMENT_LINE,
        DECISION_LINE,
        ENGAGEMENT_LINE,
        RECOMMENDATION_LINE,
    )
    from borderwatch.sensors.acoustic.learned import DETECTOR_SCHEMA
    from borderwatch.sim.catalogue import TargetCatalogue
    from borderwatch.sim.scenario import Scenario
    from borderwatch.sim.truth import TRUTH_LINE_SCHEMA
    from borderwatch.store.signing import ENVELOPE_SCHEMA
    from borderwatch.theatre.schema import AssetsFile, CrossingFacts, TheatreSpec
    from borderwatch.threat.config import ThreatConfig
    from borderwatch.tracking.io import EVALUATION_SCHEMA, TRACK_LINE_SCHEMA

    return {
        "scenario.schema.json": Scenario.model_json_schema(by_alias=True),
        "targets.schema.json": TargetCatalogue.model_json_schema(),
        "theatre.schema.json": TheatreSpec.model_json_schema(),
        "crossings.schema.json": CrossingFacts.model_json_schema(),
        "assets.schema.json": AssetsFile.model_json_schema(),
        "truth-line.schema.json": TRUTH_LINE_SCHEMA,
        "tracks-line.schema.json": TRACK_LINE_SCHEMA,
        "evaluation.schema.json": EVALUATION_SCHEMA,
        "threat.schema.json": ThreatConfig.model_json_schema(),
        "effectors.schema.json": EffectorCatalogue.model_json_schema(),
        "effector-layout.schema.json": LayoutFile.model_json_schema(),
        "assessments-line.schema.json": ASSESSMENT_LINE,
        "alerts-line.schema.json": ALERT_LINE,
        "recommendations-line.schema.json": RECOMMENDATION_LINE,
        "decisions-line.schema.json": DECISION_LINE,
        "engagements-line.schema.json": ENGAGEMENT_LINE,
        "sensor-message.schema.json": ENVELOPE_SCHEMA,
        "sections.schema.json": SectionsFile.model_json_schema(),
        "event-data.schema.json": EventData.model_json_schema(),
        "register-line.schema.json": EventVersion.model_json_schema(),
        "impact-rules.schema.json": ImpactRules.model_json_schema(),
        "forces.schema.json": ForcesFile.model_json_schema(),
        "synthetic-calibration.schema.json": Calibration.model_json_schema(),
        "acoustic-detector.schema.json": DETECTOR_SCHEMA,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    out = Path(__file__).resolve().parents[1] / "docs" / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas().items():
        (out / name).write_text(render(schema), encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
