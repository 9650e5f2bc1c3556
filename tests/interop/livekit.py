"""A real ``borderwatch serve`` process for the live interop tests: sensors.json, a viewer's token, start, wait for
/healthz, stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True, slots=True)
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    auth: dict[str, str]  # a viewer's bearer token
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, *, timeout_s: float = 900.0) -> None:
    """Until ``url``/healthz answers; the engine's start (theatre, compiled kernels) is slow on a busy machine."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("serve did not come up: " + log.read_text(errors="replace")[-3000:])


@contextmanager
def serve(tmp_path: Path, sensors: list[dict[str, Any]], port: int, *args: str) -> Iterator[Served]:
    """``borderwatch serve --sensors … --port PORT ARGS…`` on a fresh store in ``tmp_path``; terminated on exit."""
    from borderwatch.store import open_store, users

    (tmp_path / "sensors.json").write_text(json.dumps({"sensors": sensors}))
    st = open_store(tmp_path / "bw.db")
    token = users.issue_token(st, users.add_user(st, "vera", "long-enough-pw", "viewer"), 3600.0)
    st.close()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-c", "from borderwatch.cli import main; main()", "serve",
           "--store", str(tmp_path / "bw.db"), "--sensors", str(tmp_path / "sensors.json"), "--port", str(port),
           *args]  # fmt: skip
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, proc, log)
        yield Served(proc, url, {"Authorization": f"Bearer {token}"}, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
