"""Turn dump1090's verbose decode of a Beast capture into the compact reference the ADS-B tests compare with.

The input is beastblackbox's ``example/beast_decoded_dump1090.txt`` (dump1090-fa's decoder run over
``example/ulss7-beast-bin-utc--1522782148.136310917--.log``; see tests/data/README.md). One JSON line per
message, in file order: ``hex``, ``rssi_dbfs``, ``time_us`` (MLAT counter / 12), ``utc`` (as printed),
``df``, ``icao`` and, where dump1090 printed them, ``alt_ft``, ``callsign``, ``cpr_odd``, ``cpr`` (global |
none), ``lat``, ``lon``, ``heading_deg``, ``speed_kt``, ``vrate_fpm``, ``gnss_delta_ft``, ``squawk``.

    python scripts/adsb_reference.py beast_decoded_dump1090.txt | gzip -9n > tests/data/adsb/ulss7-dump1090.jsonl.gz
"""

from __future__ import annotations

import json
import re
import sys

PATTERNS = {
    "rssi_dbfs": (re.compile(r"^RSSI: (-?[\d.]+) dBFS"), float),
    "time_us": (re.compile(r"^Time: ([\d.]+)us"), float),
    "utc": (re.compile(r"^Realtime UTC: (.+)$"), str),
    "df": (re.compile(r"^DF:(\d+)"), int),
    "icao": (re.compile(r"^\s+ICAO Address:\s+([0-9A-F]{6})"), lambda s: s.lower()),
    "alt_ft": (re.compile(r"^\s+Altitude:\s+(-?\d+) ft barometric"), int),
    "callsign": (re.compile(r"^\s+Ident:\s+(\S*)"), str),
    "cpr_odd": (re.compile(r"^\s+CPR odd flag:\s+(\w+)"), lambda s: s == "odd"),
    "cpr": (re.compile(r"^\s+CPR decoding:\s+(\w+)"), str),
    "lat": (re.compile(r"^\s+CPR latitude:\s+(-?[\d.]+) \("), float),
    "lon": (re.compile(r"^\s+CPR longitude:\s+(-?[\d.]+) \("), float),
    "heading_deg": (re.compile(r"^\s+Heading:\s+(-?\d+)"), int),
    "speed_kt": (re.compile(r"^\s+Speed:\s+(\d+) kt groundspeed"), int),
    "vrate_fpm": (re.compile(r"^\s+Vertical rate:\s+(-?\d+) ft/min"), int),
    "gnss_delta_ft": (re.compile(r"^\s+GNSS delta:\s+(-?\d+) ft"), int),
    "squawk": (re.compile(r"^\s+Squawk:\s+(\d{4})"), str),
}


def main(path: str) -> None:
    cur: dict[str, object] | None = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^\*([0-9a-f]+);$", line)
            if m:
                if cur is not None:
                    print(json.dumps(cur))
                cur = {"hex": m.group(1)}
                continue
            if cur is None:
                continue
            for key, (rx, conv) in PATTERNS.items():
                mm = rx.match(line)
                if mm and key not in cur:
                    cur[key] = conv(mm.group(1))
                    break
    if cur is not None:
        print(json.dumps(cur))


if __name__ == "__main__":
    main(sys.argv[1])
