"""Schema of ``theatre.yaml`` (pydantic); see docs/formats.md."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from borderwatch.config import Sourced, Strict


class CountryCode(Strict):
    iso2: str = Field(pattern=r"^[A-Z]{2}$")
    name: str


class CountriesSpec(Strict):
    file: str
    iso3_property: str = "iso_a3"
    codes: dict[str, CountryCode]


class SegmentSpec(Strict):
    id: str
    match: str
    neighbour: str = Field(pattern=r"^[A-Z]{2}$")
    watched: bool = False
    published_length_km: tuple[float, float] | None = None
    published_source: str | None = None


class BordersSpec(Strict):
    file: str
    match_property: str = "countries"
    segments: list[SegmentSpec] = Field(min_length=1)


class LineLayerSpec(Strict):
    file: str
    class_property: str | None = None
    name_property: str | None = None
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    #: ``exact``: lines meet at shared vertices (OpenStreetMap); ``generalised``: lines stop short of each other
    #: (Natural Earth) and are joined by the network's snap tolerance
    topology: Literal["generalised", "exact"] = "generalised"
    #: the lon/lat box the layer covers completely (lon_min, lat_min, lon_max, lat_max); None = the whole theatre
    extent: tuple[float, float, float, float] | None = None
    #: the layer's source and licence in a few words (shown in notes)
    source: str | None = None


class LakeSpec(Strict):
    file: str
    name_property: str | None = "name"


class PlacesSpec(Strict):
    file: str
    name_property: str = "name"
    population_property: str = "population"
    country_property: str = "country"


class CrossingsSpec(Strict):
    file: str
    snap_radius_m: float = Field(default=5000.0, gt=0)
    border_map: dict[str, str] = Field(default_factory=dict)


class TerrainSpec(Strict):
    file: str
    source: str


class AssetsSpec(Strict):
    file: str | None = None
    towns_min_population: int = Field(default=10000, ge=0)


class TheatreSpec(Strict):
    name: str
    title: str
    home: str = Field(pattern=r"^[A-Z]{2}$")
    crs: str | None = None
    bbox: tuple[float, float, float, float]
    geoid_undulation_m: Sourced = Sourced(value=0.0, source="assumption: heights above MSL = HAE")
    countries: CountriesSpec
    borders: BordersSpec
    roads: LineLayerSpec | None = None
    railways: LineLayerSpec | None = None
    #: drawn on maps outside ``railways.extent`` only; never part of the rail graph
    railways_fallback: LineLayerSpec | None = None
    rivers: LineLayerSpec | None = None
    lakes: LakeSpec | None = None
    places: PlacesSpec | None = None
    crossings: CrossingsSpec | None = None
    terrain: TerrainSpec | None = None
    assets: AssetsSpec = AssetsSpec()


class CrossingCoordinate(Strict):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    quality: str = "unknown"


class CrossingFact(Strict):
    name: str
    border: str
    kind: str = Field(pattern=r"^(road|rail)$")
    road: str | None = None
    status: str = Field(pattern=r"^(open|suspended|closed)$")
    status_since: date | str | None = None
    coordinate: CrossingCoordinate | None = None
    sources: list[str] = Field(default_factory=list)


class CrossingFacts(Strict):
    crossings: list[CrossingFact]
    notes: list[Any] = Field(default_factory=list)


class AssetEntry(Strict):
    name: str
    kind: str = Field(pattern=r"^(town|infrastructure|military)$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    value_eur: float = Field(ge=0)
    source: str = Field(min_length=3)


class AssetsFile(Strict):
    town_value_eur_per_inhabitant: Sourced
    assets: list[AssetEntry] = Field(default_factory=list)
