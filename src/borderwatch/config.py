"""YAML loading and schema validation shared by every file-facing reader.

Validation errors become one :class:`~borderwatch.errors.InputError` line naming the file, the field path
(``raids[0].speed_mps``) and the reason, so the CLI can exit 2 without a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from borderwatch.errors import InputError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of file schemas: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    """A catalogue number with its provenance: a citation or the word ``assumption``."""

    value: float
    source: str = Field(min_length=3)

    @field_validator("source")
    @classmethod
    def _has_source(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("needs a source or the word 'assumption'")
        return v


class SourcedRange(Strict):
    """A sourced range (min <= typical <= max)."""

    min: float
    max: float
    typical: float | None = None
    source: str = Field(min_length=3)

    def model_post_init(self, __context: Any) -> None:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        if self.typical is not None and not self.min <= self.typical <= self.max:
            raise ValueError(f"typical {self.typical} outside [{self.min}, {self.max}]")


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('raids', 0, 'speed_mps')`` -> ``raids[0].speed_mps``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def describe(err: ValidationError) -> tuple[str, str]:
    """The first error of a pydantic ValidationError as ``(field path, reason)``."""
    e = err.errors()[0]
    loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "missing":
        msg = "missing field"
    elif e["type"] == "extra_forbidden":
        msg = "unknown field"
    return field_path(loc), msg


def validate(model: type[M], data: Any, *, source: str) -> M:
    """Validate decoded data against a schema; raise one-line :class:`InputError` on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        path, msg = describe(err)
        raise InputError(msg, source=source, field=path) from None


def _read_text(path: Path | str) -> tuple[Path, str]:
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    return p, p.read_text(encoding="utf-8")


def read_yaml(path: Path | str) -> Any:
    """Read a YAML file; a missing file or a syntax error is an :class:`InputError`."""
    p, text = _read_text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}", source=str(p)) from None


def read_json(path: Path | str) -> Any:
    """Read a JSON file; a missing file or a syntax error is an :class:`InputError`."""
    p, text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno})", source=str(p)) from None


def load_model(model: type[M], path: Path | str) -> M:
    """Read and validate a YAML file against a schema."""
    return validate(model, read_yaml(path), source=str(path))
