"""Start a scaled deployment on localhost: N gateways, one engine per sector, M API servers (``make serve-scale``).

Every process is ``borderwatch serve --role …`` against the same PostgreSQL store and NATS JetStream; they
share the audit key file (``BORDERWATCH_AUDIT_KEY``) and, for a replay, one replay clock (``--replay-clock``).

    python -m borderwatch.scale.launch --store postgresql://root@127.0.0.1/bw_scale \\
        --bus nats://127.0.0.1:4222 --replay latgale-night-raid --speed 10

Ports: gateways ``base``, ``base+1``…, engines after them, API servers last (printed at start).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Proc:
    role: str
    name: str
    port: int
    cmd: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str]) -> None:
        fh = self.log.open("ab")
        self.popen = subprocess.Popen(self.cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        fh.close()
        self.starts += 1

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen is not None else -1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


@dataclass(slots=True)
class Deployment:
    procs: list[Proc]
    env: dict[str, str]
    work: Path
    sensors: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def by_role(self, role: str) -> list[Proc]:
        return [p for p in self.procs if p.role == role]

    def wait_healthy(self, procs: list[Proc] | None = None, timeout_s: float = 240.0) -> float:
        """Wait until every process answers /healthz; returns the seconds it took."""
        import httpx

        t0 = time.monotonic()
        todo = list(procs if procs is not None else self.procs)
        while todo:
            p = todo[0]
            if not p.alive():
                raise RuntimeError(f"{p.name} exited; see {p.log}:\n{p.log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(p.url + "/healthz", timeout=1.0).status_code == 200:
                    todo.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            if time.monotonic() - t0 > timeout_s:
                raise TimeoutError(f"{p.name} did not come up in {timeout_s:.0f} s; see {p.log}")
            time.sleep(0.1)
        return time.monotonic() - t0

    def stop(self) -> None:
        for p in self.procs:
            if p.alive() and p.popen is not None:
                p.popen.send_signal(signal.SIGTERM)
        for p in self.procs:
            if p.popen is not None:
                try:
                    p.popen.wait(20)
                except subprocess.TimeoutExpired:
                    p.popen.kill()
                    p.popen.wait(5)


def plan(
    *,
    store: str,
    bus: str,
    sensors: Path,
    work: Path,
    namespace: str = "",
    sectors: Path | None = None,
    gateways: int = 2,
    apis: int = 1,
    base_port: int = 18510,
    replay_clock: str | None = None,
    emit_interval_s: float = 1.0,
    audit_key: Path | None = None,
    python: str = sys.executable,
) -> Deployment:
    """The processes of a deployment (not started): ``Deployment.procs`` in start order."""
    from borderwatch.scale.sectors import DEFAULT_SECTORS, Sectors

    sec_file = sectors or DEFAULT_SECTORS
    names = Sectors.load(sec_file).names
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["BORDERWATCH_AUDIT_KEY"] = str(audit_key or work / "audit-key")
    src = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = f"{src}{os.pathsep}{env.get('PYTHONPATH', '')}"
    common = ["--store", store, "--bus", bus, "--sensors", str(sensors), "--sectors", str(sec_file)]
    common += ["--emit-interval", str(emit_interval_s)]
    if namespace:
        common += ["--bus-namespace", namespace]
    if replay_clock:
        common += ["--replay-clock", replay_clock]
    procs: list[Proc] = []
    port = base_port
    roles: list[tuple[str, str, list[str]]] = [("gateway", f"gateway{i}", []) for i in range(gateways)]
    roles += [("engine", f"engine-{n}", ["--sector", n]) for n in names]
    roles += [("api", f"api{i}", []) for i in range(apis)]
    for role, name, extra in roles:
        cmd = [python, "-m", "borderwatch.cli", "serve", "--role", role, "--port", str(port), *common, *extra]
        procs.append(Proc(role, name, port, cmd, work / f"{name}.log"))
        port += 1
    return Deployment(procs, env, work, sensors)


def start(dep: Deployment, *, wait: bool = True) -> Deployment:
    for p in dep.procs:
        p.start(dep.env)
    if wait:
        dep.wait_healthy()
    return dep


def play_replay(dep: Deployment, reports: list[dict[str, Any]], keys: dict[str, bytes], clock: Any) -> dict[str, int]:
    """POST the reports bin by bin on the replay clock, the sensors spread over the gateways (round robin)."""
    import httpx

    from borderwatch.scale.harness import bins
    from borderwatch.store.signing import signed_envelope

    gws = dep.by_role("gateway")
    clients = [httpx.Client(base_url=g.url, timeout=30.0) for g in gws]
    seq: dict[str, int] = {}
    sent = acked = failed = 0
    try:
        for k, (hi, by) in enumerate(bins(reports, float(reports[0]["t"]), float(reports[-1]["t"]) + 1.0)):
            wait = (hi - clock()) / clock.speed
            if wait > 0:
                time.sleep(wait)
            lines: list[list[str]] = [[] for _ in gws]
            for j, (s, reps) in enumerate(sorted(by.items())):
                if s not in keys:
                    continue
                seq[s] = seq.get(s, 0) + 1
                lines[(j + k) % len(gws)].append(json.dumps(signed_envelope(s, seq[s], clock(), reps, keys[s])))
                sent += len(reps)
            for c, ls in zip(clients, lines, strict=True):
                if not ls:
                    continue
                try:
                    out = c.post("/api/v1/ingest", content="\n".join(ls).encode()).json()
                    acked += int(out.get("accepted", 0))
                except (httpx.HTTPError, ValueError):
                    failed += 1
    finally:
        for c in clients:
            c.close()
    return {"sent": sent, "acknowledged": acked, "failed_posts": failed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m borderwatch.scale.launch", description=__doc__)
    ap.add_argument("--store", default="postgresql://root@127.0.0.1:5432/bw_scale")
    ap.add_argument("--bus", default="nats://127.0.0.1:4222")
    ap.add_argument("--namespace", default="")
    ap.add_argument("--sectors", type=Path, default=None)
    ap.add_argument("--gateways", type=int, default=2)
    ap.add_argument("--apis", type=int, default=1)
    ap.add_argument("--base-port", type=int, default=18510)
    ap.add_argument("--replay", default="latgale-night-raid")
    ap.add_argument("--speed", type=float, default=10.0)
    ap.add_argument("--work", type=Path, default=Path("out/serve-scale"))
    a = ap.parse_args(argv)

    from borderwatch.server.clock import ReplayClock
    from borderwatch.server.replay import demo_users, enrol, prepare

    a.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BORDERWATCH_AUDIT_KEY", str((a.work / "audit-key").resolve()))
    print(f"preparing the replay of {a.replay} …", flush=True)
    src = prepare(a.replay, a.work / "replay")
    keys = enrol(a.store, src.sensors, time.time())
    users = demo_users(a.store)
    w0 = time.time() + 60.0  # the processes have a minute to start before the scenario's first report
    clock = ReplayClock(src.t0 - 2.0, speed=a.speed, wall=time.time)
    clock._w0 = w0
    dep = plan(
        store=a.store,
        bus=a.bus,
        sensors=src.sensors,
        work=a.work,
        namespace=a.namespace,
        sectors=a.sectors,
        gateways=a.gateways,
        apis=a.apis,
        base_port=a.base_port,
        replay_clock=f"{clock.t0},{w0},{a.speed}",
        audit_key=Path(os.environ["BORDERWATCH_AUDIT_KEY"]),
    )
    try:
        start(dep)
        for p in dep.procs:
            print(f"{p.name:14s} {p.url}  (log {p.log})", flush=True)
        for name, pw in users.items():
            print(f"user {name} password {pw} (shown once)", flush=True)
        print(f"replaying {a.replay} at {a.speed:g}× through {a.gateways} gateways; Ctrl-C stops", flush=True)
        out = play_replay(dep, src.reports, keys, clock)
        print(json.dumps(out), flush=True)
        print("replay done; the deployment keeps running until Ctrl-C", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        dep.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
