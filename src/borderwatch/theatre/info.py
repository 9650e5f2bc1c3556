"""A summary of a theatre for people and machines (``borderwatch theatre info``)."""

from __future__ import annotations

from typing import Any

from borderwatch.theatre.model import Theatre


def theatre_summary(th: Theatre, *, near_border_km: float = 50.0) -> dict[str, Any]:
    """Border segments with computed lengths, crossings with status, network near the watched border.

    Lengths are geodesic lengths of the shipped geometry (WGS84), in km; published figures are given
    beside them with their source.
    """
    return {
        "theatre": th.name,
        "title": th.title,
        "home": th.home.iso2,
        "segments": [
            {
                "id": s.id,
                "neighbour": s.neighbour,
                "neighbour_name": s.neighbour_name,
                "watched": s.watched,
                "length_km": round(s.length_km, 1),
                "length_source": f"computed from {s.source}",
                "published_length_km": list(s.published_length_km) if s.published_length_km else None,
                "published_source": s.published_source,
            }
            for s in th.segments
        ],
        "crossings": [
            {
                "name": c.name,
                "segment": c.segment,
                "neighbour": th.segment(c.segment).neighbour,
                "kind": c.kind,
                "road": c.road,
                "status": c.status,
                "status_since": c.status_since,
                "lat": None if c.lat is None else round(c.lat, 5),
                "lon": None if c.lon is None else round(c.lon, 5),
                "quality": c.quality,
                "snapped": c.snapped,
                "snap_offset_m": None if c.snap_offset_m is None else round(c.snap_offset_m, 1),
                "sources": list(c.sources),
            }
            for c in th.crossings
        ],
        "near_border": {
            "within_km": near_border_km,
            "border": [s.id for s in th.watched_segments],
            "road_km": round(th.network_km_near_border(th.roads, within_km=near_border_km), 1),
            "rail_km": round(th.network_km_near_border(th.railways, within_km=near_border_km), 1),
            "note": "roads are the shipped main-road layer only (Natural Earth 1:10m for latvia-east)",
        },
        "counts": {
            "roads": len(th.roads),
            "railways": len(th.railways),
            "rivers": len(th.rivers),
            "lakes": len(th.lakes),
            "places": len(th.places),
            "assets": len(th.assets),
        },
        "rejected_features": dict(th.rejected),
    }
