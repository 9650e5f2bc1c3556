"""Write the notional border sections of the shipped Latvia-east theatre (crossings/data/latvia-east/sections.yaml).

Even split of each watched border line into ~20 km sections, each named after the nearest Latvian place and
given to a State Border Guard regional board by position (north LV–RU: Viļaka; south LV–RU: Ludza; LV–BY:
Daugavpils). All of it is an assumption for demonstration; edit the file or pass your own with --sections.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

from borderwatch.crossings.sections import split_border
from borderwatch.theatre import load_theatre

UNITS = {"LV-RU-north": "Viļaka Board", "LV-RU-south": "Ludza Board", "LV-BY": "Daugavpils Board"}


def main() -> int:
    th = load_theatre("latvia-east")
    secs = split_border(th, target_km=20.0)
    home = [p for p in th.places if p.in_home]
    out = []
    for s in secs.sections:
        x, y = th.xy([p.lat for p in home], [p.lon for p in home])
        mx, my = th.xy(s.mid_lat, s.mid_lon)
        near = home[int(np.argmin(np.hypot(x - mx, y - my)))]
        if s.segment == "LV-RU":
            unit = UNITS["LV-RU-north"] if s.mid_lat > 57.0 else UNITS["LV-RU-south"]
        else:
            unit = UNITS["LV-BY"]
        out.append(
            {
                "id": s.id,
                "name": near.name,
                "segment": s.segment,
                "from_km": s.from_km,
                "to_km": s.to_km,
                "unit": unit,
                "source": "assumption: notional ~20 km split of the shipped OSM line; unit by position",
            }
        )
    names = [o["name"] for o in out]
    seen: dict[str, int] = {}
    for o in out:
        if names.count(o["name"]) > 1:
            seen[o["name"]] = seen.get(o["name"], 0) + 1
            o["name"] = f"{o['name']} {seen[o['name']]}"
    doc = {
        "theatre": "latvia-east",
        "note": "Notional sections (assumption): an even ~20 km split of the shipped border lines, km measured "
        "from the northern end of each chained line; named after the nearest Latvian place; units are the State "
        "Border Guard regional boards by position, not an official area of responsibility.",
        "sections": out,
    }
    path = Path(__file__).resolve().parents[1] / "src/borderwatch/crossings/data/latvia-east/sections.yaml"
    header = "# Border sections of the Latvia-east theatre (written by scripts/gen_sections.py; edit freely).\n"
    path.write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
