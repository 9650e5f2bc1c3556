"""Helpers for the live-service tests: a real SQLite store, users of each role, registered sensors, signing."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

T0 = 1_788_000_000.0  # a fixed receiver time (2026-08-29)
PASSWORD = "correct-horse-battery"


class FakeClock:
    """A receiver clock the test moves by hand."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Env:
    db: Path
    clock: FakeClock
    keys: dict[str, bytes] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        """The Authorization header of a user of the template (vera viewer, otto operator, ada admin)."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def envelope(
        self,
        sensor: str,
        reports: list[dict[str, Any]],
        *,
        seq: int | None = None,
        t_sent: float | None = None,
        key: bytes | None = None,
    ) -> dict[str, Any]:
        from borderwatch.store.signing import signed_envelope

        if seq is None:
            seq = self.seq.get(sensor, 0) + 1
            self.seq[sensor] = seq
        return signed_envelope(
            sensor,
            seq,
            self.clock() if t_sent is None else t_sent,
            reports,
            key if key is not None else self.keys[sensor],
        )

    def line(self, *args: Any, **kw: Any) -> bytes:
        return json.dumps(self.envelope(*args, **kw)).encode()


def bearing(sensor: str, t: float, az: float = 45.0) -> dict[str, Any]:
    return {"t": t, "sensor": sensor, "type": "bearing", "az_deg": az, "sigma_az_deg": 2.0}


@dataclass(frozen=True)
class Template:
    """A store made once per session (argon2 hashing takes most of a second per user on a busy machine)."""

    dir: Path
    keys: dict[str, bytes]
    tokens: dict[str, str]


def make_template(d: Path, sensors: tuple[str, ...] = ("ac-1", "ac-2")) -> Template:
    from borderwatch.store import open_store, sensor_keys, users

    st = open_store(d / "bw.db")
    tokens = {}
    for name, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin")):
        u = users.add_user(st, name, PASSWORD, role, now=T0 - 10)
        tokens[name] = users.issue_token(st, u, 10 * 86400.0, now=T0 - 10)
    keys = {s: sensor_keys.add_sensor(st, s, now=T0 - 10) for s in sensors}
    st.close()
    return Template(d, keys, tokens)


def make_env(tmp_path: Path, tpl: Template) -> Env:
    """A private copy of the template store (the audit key keeps its 0600 mode)."""
    for f in tpl.dir.iterdir():
        shutil.copy2(f, tmp_path / f.name)
    env = Env(tmp_path / "bw.db", FakeClock(), dict(tpl.keys))
    env.tokens = dict(tpl.tokens)
    return env


def login(client: Any, name: str) -> dict[str, str]:
    r = client.post("/api/v1/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
