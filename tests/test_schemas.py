"""docs/schemas is generated from the code; truth lines validate against their schema."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import jsonschema

from borderwatch.sim import load_scenario, simulate, write_truth
from borderwatch.sim.truth import TRUTH_LINE_SCHEMA
from borderwatch.theatre.model import Theatre

ROOT = Path(__file__).resolve().parents[1]


def _gen():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "scripts" / "gen_schemas.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_docs_schemas_up_to_date() -> None:
    gen = _gen()
    for name, schema in gen.schemas().items():
        path = ROOT / "docs" / "schemas" / name
        assert path.read_text(encoding="utf-8") == gen.render(schema), f"run scripts/gen_schemas.py ({name})"


def test_truth_lines_validate(theatre: Theatre) -> None:
    buf = io.StringIO()
    write_truth(simulate(load_scenario("paternieki-mixed-day"), theatre), buf)
    v = jsonschema.Draft202012Validator(TRUTH_LINE_SCHEMA)
    for line in buf.getvalue().splitlines()[::50]:
        v.validate(json.loads(line))
