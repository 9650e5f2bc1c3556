"""``borderwatch users | sensors | audit`` on a real store file; every admin action lands in the audit log."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.store import open_store
from borderwatch.store.audit import audit_rows
from borderwatch.store.sensor_keys import keys_for
from borderwatch.store.users import authenticate

RUNNER = CliRunner()


def _run(*args: str, input: str | None = None) -> tuple[int, str]:
    res = RUNNER.invoke(app, list(args), input=input)
    return res.exit_code, res.stdout


def test_users_sensors_and_audit(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    code, _ = _run(
        "users",
        "add",
        "alice",
        "--role",
        "operator",
        "--password-stdin",
        "--store",
        db,
        "--as",
        "root-admin",
        input="pw-alice-1\n",
    )
    assert code == 0
    code, out = _run("users", "list", "--store", db)
    assert code == 0 and "alice" in out and "operator" in out
    code, out = _run("sensors", "add", "ac-01", "--store", db, "--as", "root-admin")
    assert code == 0
    key = bytes.fromhex(out.strip().splitlines()[0])
    code, out = _run("sensors", "rotate-key", "ac-01", "--grace", "30", "--store", db)
    assert code == 0
    new_key = bytes.fromhex(out.strip().splitlines()[0])
    code, _ = _run("users", "disable", "alice", "--store", db, "--as", "root-admin")
    assert code == 0
    st = open_store(db)
    try:
        assert authenticate(st, "alice", "pw-alice-1") is None  # disabled
        assert set(keys_for(st, "ac-01")) == {key, new_key}  # within the grace period
        rows = audit_rows(st)
    finally:
        st.close()
    assert [(r.actor, r.action, r.subject) for r in rows if r.actor == "root-admin"] == [
        ("root-admin", "user.add", "alice"),
        ("root-admin", "sensor.add", "ac-01"),
        ("root-admin", "user.disable", "alice"),
    ]
    assert [r.action for r in rows] == ["user.add", "sensor.add", "sensor.rotate-key", "user.disable"]
    code, out = _run("audit", "verify", "--store", db)
    assert code == 0 and "4 rows" in out
    code, out = _run("audit", "show", "--store", db)
    assert code == 0 and "sensor.rotate-key" in out


def test_audit_verify_names_the_edited_row(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    for name in ("a1", "a2", "a3"):
        _run("sensors", "add", name, "--store", db)
    st = open_store(db)
    with st.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_no_update")
        conn.exec_driver_sql("UPDATE audit SET actor = 'someone-else' WHERE seq = 2")
    st.close()
    code, out = _run("audit", "verify", "--store", db)
    assert code == 1
    assert out.strip().splitlines() == ["seq 2: edited: hash does not match the row's contents (edited or renumbered)"]


def test_store_from_environment_and_errors(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    res = RUNNER.invoke(app, ["sensors", "add", "s1"], env={"BORDERWATCH_STORE": str(db)})
    assert res.exit_code == 0 and db.exists()
    res = RUNNER.invoke(app, ["audit", "verify", "--store", str(tmp_path / "missing.db")])
    assert res.exit_code == 2 and not (tmp_path / "missing.db").exists()
    res = RUNNER.invoke(
        app, ["users", "add", "bob", "--role", "god", "--password-stdin", "--store", str(db)], input="x\n"
    )
    assert res.exit_code == 2
    res = RUNNER.invoke(app, ["sensors", "add", "s1", "--store", str(db)])
    assert res.exit_code == 2  # already enrolled


def test_password_prompt(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    code, _ = _run("users", "add", "carol", "--role", "viewer", "--store", db, input="long-password\nlong-password\n")
    assert code == 0
    st = open_store(db)
    try:
        u = authenticate(st, "carol", "long-password")
    finally:
        st.close()
    assert u is not None and u.role.value == "viewer"
