"""JSON Schemas of the files the mobility commands write (quoted in docs/formats.md; tests validate outputs)."""

from __future__ import annotations

from typing import Any

_NUM_OR_NULL = {"type": ["number", "null"]}

PLAN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "plan.json — deployment plan for one indicator",
    "type": "object",
    "required": [
        "indicator",
        "readiness_level",
        "makespan_h",
        "lower_bound_h",
        "gap",
        "chokepoints",
        "trucks",
        "unclosed",
        "warnings",
        "notes",
    ],
    "properties": {
        "indicator": {"type": "string"},
        "readiness_level": {"type": "integer"},
        "level_name": {"type": "string"},
        "method": {"type": "string", "description": "MILP (HiGHS) or greedy nearest park"},
        "status": {"type": "string"},
        "makespan_h": {"type": "number", "minimum": 0, "description": "hours from the indicator to the last closure"},
        "lower_bound_h": {"type": "number", "minimum": 0},
        "gap": {"type": "number", "minimum": 0, "maximum": 1, "description": "(makespan - bound) / makespan"},
        "solve_s": {"type": "number"},
        "greedy_makespan_h": _NUM_OR_NULL,
        "chokepoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "lon", "lat", "closure_m", "parks", "trucks", "closed_h"],
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"enum": ["road", "rail"]},
                    "lon": {"type": "number"},
                    "lat": {"type": "number"},
                    "segment": {"type": "string"},
                    "entries": {"type": "array", "items": {"type": "string"}},
                    "bridge": {"type": "boolean"},
                    "closure_m": {"type": "number", "description": "metres of obstacle line, all layers"},
                    "heavy_m": {"type": "number"},
                    "off_network_km": {"type": "number"},
                    "parks": {
                        "type": "object",
                        "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "description": "park name -> obstacle type -> units drawn",
                    },
                    "access": {
                        "type": "object",
                        "description": "off-network legs: road network to the site, each park used to its road",
                        "required": ["site_off_network_km", "park_off_network_km", "off_road_only"],
                        "properties": {
                            "site_off_network_km": {"type": "number"},
                            "park_off_network_km": {"type": "object", "additionalProperties": {"type": "number"}},
                            "max_off_network_km": {"type": "number"},
                            "off_road_only": {
                                "type": "boolean",
                                "description": "no road within rail_site_max_off_road_m of the site",
                            },
                            "note": {"type": ["string", "null"]},
                        },
                    },
                    "trucks": {"type": "array", "items": {"type": "string"}},
                    "first_arrival_h": _NUM_OR_NULL,
                    "closed_h": _NUM_OR_NULL,
                },
            },
        },
        "trucks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["truck", "park", "chokepoint", "finish_h", "trips"],
                "properties": {
                    "truck": {"type": "string"},
                    "park": {"type": "string"},
                    "chokepoint": {"type": "string"},
                    "one_way_h": {"type": "number"},
                    "finish_h": {"type": "number"},
                    "route": {
                        "type": "object",
                        "description": "the road route as driven, park to site",
                        "required": ["edges", "road_km", "road_h", "off_network_km", "coordinates"],
                        "properties": {
                            "edges": {"type": "array", "items": {"type": "string"}, "description": "road edge ids"},
                            "road_km": {"type": "number"},
                            "road_h": {"type": "number"},
                            "off_network_km": {
                                "type": "object",
                                "properties": {"park": {"type": "number"}, "site": {"type": "number"}},
                            },
                            "off_network_h": {"type": "number"},
                            "coordinates": {
                                "type": "array",
                                "items": {"type": "array", "items": {"type": "number"}, "minItems": 2},
                                "description": "lon/lat polyline park -> road -> site",
                            },
                        },
                    },
                    "trips": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["trip", "load_start_h", "depart_h", "arrive_h", "emplaced_h", "cargo"],
                            "properties": {
                                "trip": {"type": "integer"},
                                "load_start_h": {"type": "number"},
                                "depart_h": {"type": "number"},
                                "arrive_h": {"type": "number"},
                                "emplaced_h": {"type": "number"},
                                "cargo": {"type": "object", "additionalProperties": {"type": "integer"}},
                            },
                        },
                    },
                },
            },
        },
        "unclosed": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "reason"],
                "properties": {"id": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "thin_data_areas": {
            "type": "array",
            "description": "parts of the near-border zone where the loaded roads cannot support a conclusion",
            "items": {
                "type": "object",
                "required": ["name", "area_km2", "max_gap_km", "centroid", "bbox", "reason"],
                "properties": {
                    "name": {"type": "string"},
                    "area_km2": {"type": "number"},
                    "max_gap_km": {"type": "number", "description": "largest distance from a point to a road"},
                    "centroid": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                    "reason": {"type": "string"},
                },
            },
        },
        "model": {"type": "string"},
    },
}

_STRETCH = {
    "type": ["object", "null"],
    "required": ["from_border_km", "to_border_km", "tracks", "removed_m", "effort_crew_h", "disconnects"],
    "properties": {
        "from_border_km": {"type": "number"},
        "to_border_km": {"type": "number"},
        "edge_from_km": {"type": "number"},
        "edge_to_km": {"type": "number"},
        "edge_id": {"type": "string"},
        "tracks": {"type": "integer"},
        "edge_has_bridge": {"type": "boolean"},
        "lon": {"type": "number"},
        "lat": {"type": "number"},
        "removed_m": {"type": "number"},
        "effort_crew_h": {"type": "number"},
        "disconnects": {"type": "boolean"},
        "time_after_h": {"type": "object", "additionalProperties": _NUM_OR_NULL},
        "added_time_h": _NUM_OR_NULL,
    },
}

RAIL_LINKS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "rail_links.json — one entry per rail link across the watched border",
    "type": "object",
    "required": ["removal_length_m", "links", "notes"],
    "properties": {
        "removal_length_m": {"type": "number"},
        "notes": {"type": "array", "items": {"type": "string"}},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "crossing", "segment", "connected"],
                "properties": {
                    "name": {"type": "string", "description": "named after its crossing: Zilupe, Kārsava, Indra"},
                    "crossing": {"type": "string"},
                    "segment": {"type": "string"},
                    "connected": {"type": "boolean"},
                    "entry": {"type": "object", "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}}},
                    "border_point": {
                        "type": "object",
                        "description": "where the link's line crosses the watched border",
                        "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}},
                    },
                    "goes_to": {"type": "string"},
                    "via": {"type": "array", "items": {"type": "string"}},
                    "length_to_destination_km": {"type": "number"},
                    "time_to_objectives_h": {"type": "object", "additionalProperties": _NUM_OR_NULL},
                    "tracks_at_border": {"type": "integer"},
                    "electric_at_border": {"type": "boolean"},
                    "edge_disjoint_routes": {"type": "integer"},
                    "alternatives": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"link": {"type": "string"}, "time_to_destination_h": _NUM_OR_NULL},
                        },
                    },
                    "removal": {
                        "type": "object",
                        "properties": {
                            "length_m": {"type": "number"},
                            "at_border": _STRETCH,
                            "cheapest": _STRETCH,
                            "candidates": {"type": "integer"},
                            "after_cut": {"type": "string"},
                        },
                    },
                    "note": {"type": "string"},
                },
            },
        },
    },
}
