"""The ground we defend: borders, roads, railways, rivers, places, crossings, assets."""

from borderwatch.theatre.loader import DEFAULT_THEATRE, available_theatres, load_theatre
from borderwatch.theatre.model import (
    Asset,
    BorderSegment,
    Country,
    Crossing,
    Lake,
    Line,
    Place,
    Terrain,
    Theatre,
)

__all__ = [
    "DEFAULT_THEATRE",
    "Asset",
    "BorderSegment",
    "Country",
    "Crossing",
    "Lake",
    "Line",
    "Place",
    "Terrain",
    "Theatre",
    "available_theatres",
    "load_theatre",
]
