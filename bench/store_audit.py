"""Audit log: append rate (one durable transaction per row, as for decisions) and verification speed.

Appends ``--durable`` rows one transaction each (SQLite WAL, synchronous=FULL), then ``--rows`` more in one
transaction, then times ``verify_audit`` over the whole log. Prints one JSON object.

    .venv/bin/python bench/store_audit.py [--durable 200] [--rows 20000] [--dir .]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from borderwatch.store import open_store
from borderwatch.store.audit import append_audit, verify_audit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--durable", type=int, default=200, help="rows appended one transaction each")
    ap.add_argument("--rows", type=int, default=20_000, help="rows appended in one transaction")
    ap.add_argument("--dir", type=Path, default=Path("."), help="folder for the temporary store file")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bw-audit-bench-", dir=a.dir))
    try:
        store = open_store(tmp / "b.db")
        details = {"decision": "D00001", "recommendation": "R00001", "why": "in range, Pk 0.7"}
        t = time.perf_counter()
        for i in range(a.durable):
            append_audit(store, "operator1", "decision.approve", f"R{i:05d}", details)
        durable_s = time.perf_counter() - t
        t = time.perf_counter()
        with store.session() as s:
            for i in range(a.rows):
                append_audit(store, "operator1", "decision.approve", f"R{i:05d}", details, session=s)
        batch_s = time.perf_counter() - t
        t = time.perf_counter()
        rep = verify_audit(store)
        verify_s = time.perf_counter() - t
        store.close()
    finally:
        shutil.rmtree(tmp)
    print(
        json.dumps(
            {
                "bench": "store_audit",
                "load_avg_1min": round(os.getloadavg()[0], 2),
                "durable_appends_per_s": round(a.durable / durable_s, 1),
                "durable_append_ms_mean": round(1000 * durable_s / a.durable, 2),
                "appends_per_s_in_one_transaction": round(a.rows / batch_s, 1),
                "verify_rows": rep.rows,
                "verify_ok": rep.ok,
                "verify_rows_per_s": round(rep.rows / verify_s, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
