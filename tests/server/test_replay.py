"""`borderwatch serve --replay` as a real process: a short scenario replayed through signed HTTP ingest; an
operator approves a recommendation and the audit log has the decision with its author; a viewer gets 403; an
edited audit row makes `borderwatch audit verify` fail naming the row."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "data" / "stray-short.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _wait(pred: Any, timeout: float, what: str) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_replay_approve_audit_and_verify(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "bw.db"
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--replay", str(SCENARIO), "--speed", "15",
           "--store", str(db), "--demo-users", "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=_env(), stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        text = _wait(
            lambda: (
                (proc.poll() is None or pytest.fail(log.read_text()[-3000:]))
                and "user viewer password" in log.read_text()
                and log.read_text()
            ),
            600,  # simulating the scenario first; minutes on a loaded 2-core machine
            "serve to listen",
        )
        pw = dict(re.findall(r"user (\w+) password (\S+)", text))
        tok = {
            n: httpx.post(f"{url}/api/v1/login", json={"name": n, "password": pw[n]}).json()["token"]
            for n in ("operator", "viewer")
        }
        hdr = {n: {"authorization": f"Bearer {t}"} for n, t in tok.items()}

        def rec() -> Any:
            items = httpx.get(f"{url}/api/v1/recommendations", headers=hdr["viewer"]).json()["items"]
            return items[0] if items else None

        r = _wait(rec, 180, "a recommendation from the replayed stray")
        assert httpx.get(f"{url}/api/v1/tracks", headers=hdr["viewer"]).json()["items"], "tracks in the picture"
        denied = httpx.post(f"{url}/api/v1/recommendations/{r['id']}/approve", json={}, headers=hdr["viewer"])
        assert denied.status_code == 403
        ok = httpx.post(
            f"{url}/api/v1/recommendations/{r['id']}/approve",
            json={"reason": "hostile, closing"},
            headers=hdr["operator"],
        )
        if ok.status_code == 409:  # the entry was overtaken between the read and the click: take the next one
            r = _wait(rec, 60, "another recommendation")
            ok = httpx.post(
                f"{url}/api/v1/recommendations/{r['id']}/approve", json={"reason": "x"}, headers=hdr["operator"]
            )
        assert ok.status_code == 200, ok.text
        assert ok.json()["decision"]["who"] == "operator"
    finally:
        proc.terminate()
        proc.wait(30)
    bw = [sys.executable, "-m", "borderwatch.cli"]
    out = subprocess.run([*bw, "audit", "show", "--store", str(db)], env=_env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "operator" in out.stdout and "decision" in out.stdout, out.stdout[-2000:]
    good = subprocess.run([*bw, "audit", "verify", "--store", str(db)], env=_env(), capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    con = sqlite3.connect(db)
    seq = con.execute("SELECT seq FROM audit WHERE actor = 'operator' ORDER BY seq LIMIT 1").fetchone()[0]
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"):
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("UPDATE audit SET actor = 'mallory' WHERE seq = ?", (seq,))
    con.commit()
    con.close()
    bad = subprocess.run([*bw, "audit", "verify", "--store", str(db)], env=_env(), capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"seq {seq}" in bad.stdout + bad.stderr
