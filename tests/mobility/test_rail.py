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


# where the OSM railways cross the border, from the railways_osm_latgale_2023-11 row of ../shared/data/README.md
README_POINTS = {"Zilupe": (28.1726, 56.3886), "Indra": (27.6383, 55.8446)}
README_KARSAVA = (27.74, (56.85, 56.96))  # "near Kārsava (≈27.74, 56.85–56.96)"


def test_links_assessed_on_osm_geometry(theatre) -> None:  # type: ignore[no-untyped-def]
    from borderwatch.geo import distance_m

    assert theatre.railways and all(r.topology == "exact" for r in theatre.railways)
    net = build_network(theatre=theatre)
    assert "OpenStreetMap" in net.source
    links = {x["name"]: x for x in assess_rail_links(network=net)}
    for name, (lon, lat) in README_POINTS.items():
        bp = links[name]["border_point"]
        assert float(distance_m(lat, lon, bp["lat"], bp["lon"])) <= 200.0, name
    k = links["Kārsava"]["border_point"]
    assert README_KARSAVA[1][0] <= k["lat"] <= README_KARSAVA[1][1]
    assert abs(k["lon"] - README_KARSAVA[0]) <= 0.02  # "≈27.74": within about 1.2 km
