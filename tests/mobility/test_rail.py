"""Each rail link across the watched border is assessed, named after its crossing."""

from __future__ import annotations

from borderwatch.mobility.network import build_network
from borderwatch.mobility.rail import assess_rail_links


def test_zilupe_karsava_indra_assessed(theatre) -> None:  # type: ignore[no-untyped-def]
    links = {x["name"]: x for x in assess_rail_links(network=build_network(theatre=theatre), removal_length_m=500)}
    assert {"Zilupe", "Kārsava", "Indra"} <= set(links)
    assert links["Zilupe"]["goes_to"] == "Rēzekne" and links["Kārsava"]["goes_to"] == "Rēzekne"
    assert links["Indra"]["goes_to"] == "Daugavpils"
    for x in links.values():
        cheap = x["removal"]["cheapest"]
        assert cheap is not None and cheap["disconnects"] and cheap["removed_m"] <= 500
        assert x["alternatives"], "another rail link reaches the same objective"
        assert x["time_to_objectives_h"][x["goes_to"]] > 0
