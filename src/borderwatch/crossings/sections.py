"""Border sections: named stretches of the watched border with the unit responsible for each.

A section is a stretch ``from_km``–``to_km`` along one theatre border segment, measured along the segment's
line chained from its northernmost end (the pieces of a border line are joined end to end, gaps bridged
straight). The shipped Latvia-east file is a notional split (``assumption``); any theatre can carry its own
``sections.yaml`` beside its ``theatre.yaml``, and a theatre without one gets an even split of its watched
border (:func:`split_border`).

>>> from borderwatch.theatre import load_theatre
>>> secs = load_sections(load_theatre("latvia-east"))
>>> all(15.0 <= s.length_km <= 25.0 for s in secs.sections)
True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
import shapely.ops
from pydantic import Field, model_validator
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry

from borderwatch.config import Strict, load_model
from borderwatch.errors import InputError, NotFoundError
from borderwatch.theatre import Theatre

#: a point farther than this from every section is not on the watched border
MAX_SNAP_KM = 15.0


class SectionSpec(Strict):
    """One section in ``sections.yaml``."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1)
    segment: str = Field(min_length=1, description="theatre border segment id, e.g. LV-BY")
    from_km: float = Field(ge=0.0, description="start, km along the chained segment line from its northern end")
    to_km: float = Field(gt=0.0)
    unit: str = Field(min_length=1, description="responsible unit")
    source: str = Field(min_length=3, description="a citation or the word 'assumption'")

    @model_validator(mode="after")
    def _order(self) -> SectionSpec:
        if self.to_km <= self.from_km:
            raise ValueError(f"to_km {self.to_km} must be greater than from_km {self.from_km}")
        return self


class SectionsFile(Strict):
    """``sections.yaml``: the border sections of one theatre."""

    theatre: str = Field(min_length=1)
    note: str = ""
    sections: list[SectionSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Section:
    """A border section with its geometry (lon/lat) and its midpoint."""

    id: str
    name: str
    segment: str
    from_km: float
    to_km: float
    unit: str
    source: str
    geometry: BaseGeometry  # LineString, lon/lat
    mid_lat: float
    mid_lon: float

    @property
    def length_km(self) -> float:
        return self.to_km - self.from_km


@dataclass(slots=True)
class Sections:
    """The sections of one theatre and the spatial look-ups over them."""

    theatre: Theatre
    sections: list[Section]
    source: str
    notes: list[str] = field(default_factory=list)
    _xy: list[BaseGeometry] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._xy = [self.theatre.project(s.geometry) for s in self.sections]

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sections]

    def get(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise NotFoundError(f"no section {section_id!r} (have: {', '.join(self.ids)})")

    def index(self, section_id: str) -> int:
        return self.ids.index(self.get(section_id).id)

    def nearest(self, lat: float, lon: float, *, max_km: float = MAX_SNAP_KM) -> tuple[Section, float]:
        """The section nearest a point and its distance (km); a point beyond ``max_km`` is an error."""
        x, y = self.theatre.xy(lat, lon)
        p = Point(float(x), float(y))
        d = np.array([g.distance(p) for g in self._xy]) / 1000.0
        i = int(np.argmin(d))
        if d[i] > max_km:
            raise InputError(f"point {lat:.4f}, {lon:.4f} is {d[i]:.1f} km from the nearest section (> {max_km} km)")
        return self.sections[i], float(d[i])

    def distance_km(self) -> np.ndarray:
        """Matrix of distances (km) between section midpoints, straight line in the theatre CRS."""
        x, y = self.theatre.xy([s.mid_lat for s in self.sections], [s.mid_lon for s in self.sections])
        return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) / 1000.0


def chained_line_xy(theatre: Theatre, segment_id: str) -> LineString:
    """The segment's border line in the theatre CRS as one LineString from its northernmost end.

    Pieces are joined greedily by nearest end point; gaps (a few hundred metres on the shipped OSM lines) are
    bridged by straight lines.
    """
    key = f"chain:{segment_id}"
    if key in theatre._cache:
        cached: LineString = theatre._cache[key]
        return cached
    import networkx as nx

    geom = shapely.line_merge(theatre.project(theatre.segment(segment_id).geometry))
    pieces = [list(g.coords) for g in geom.geoms] if isinstance(geom, MultiLineString) else [list(geom.coords)]
    ends = np.array([p[0][:2] for p in pieces] + [p[-1][:2] for p in pieces], dtype=float)
    n = len(pieces)
    d = np.hypot(ends[:, None, 0] - ends[None, :, 0], ends[:, None, 1] - ends[None, :, 1])
    own = np.arange(2 * n) % n
    # pieces (weight = length) joined by straight gaps within 5 km (weight = 10 x gap, so pieces are followed)
    g = nx.Graph()
    for i, p in enumerate(pieces):
        g.add_edge(i, i + n, weight=LineString(p).length, true=LineString(p).length, piece=i)
    for i in range(2 * n):
        for j in range(i + 1, 2 * n):
            if own[i] != own[j] and d[i, j] <= 5000.0:
                g.add_edge(i, j, weight=10.0 * d[i, j], true=d[i, j], piece=-1)
    # the chain's ends are the two end points farthest apart along it; start at the northern one
    far = dict(nx.all_pairs_dijkstra_path_length(g, weight="true"))
    a, b = max(((u, v) for u in far for v in far[u]), key=lambda uv: far[uv[0]][uv[1]])
    start, stop = (a, b) if ends[a, 1] >= ends[b, 1] else (b, a)
    try:
        path = nx.shortest_path(g, start, stop, weight="weight")
    except nx.NetworkXNoPath:
        raise InputError(f"border segment {segment_id} has gaps wider than 5 km", field="borders") from None
    coords: list[tuple[float, ...]] = []
    for u, v in itertools.pairwise(path):
        i = g.edges[u, v]["piece"]
        if i >= 0:
            seq = pieces[i] if u < n else pieces[i][::-1]
            coords.extend(seq if not coords else seq[1:] if coords[-1] == seq[0] else seq)
    line = LineString([(c[0], c[1]) for c in coords])
    theatre._cache[key] = line
    return line


def _build(theatre: Theatre, spec: SectionSpec, *, source: str) -> Section:
    try:
        chain = chained_line_xy(theatre, spec.segment)
    except NotFoundError:
        raise InputError(
            f"unknown border segment {spec.segment!r} (have: {', '.join(s.id for s in theatre.segments)})",
            source=source,
            field=f"sections[{spec.id}].segment",
        ) from None
    total_km = chain.length / 1000.0
    if spec.to_km > total_km + 0.5:
        raise InputError(
            f"to_km {spec.to_km} beyond the end of {spec.segment} ({total_km:.1f} km)",
            source=source,
            field=f"sections[{spec.id}].to_km",
        )
    part = shapely.ops.substring(chain, spec.from_km * 1000.0, min(spec.to_km, total_km) * 1000.0)
    mid = chain.interpolate(0.5 * (spec.from_km + min(spec.to_km, total_km)) * 1000.0)
    ll = theatre.unproject(part)
    mll = theatre.unproject(mid)
    return Section(
        id=spec.id,
        name=spec.name,
        segment=spec.segment,
        from_km=spec.from_km,
        to_km=spec.to_km,
        unit=spec.unit,
        source=spec.source,
        geometry=ll,
        mid_lat=float(mll.y),
        mid_lon=float(mll.x),
    )


def sections_from_spec(theatre: Theatre, spec: SectionsFile, *, source: str) -> Sections:
    """Build sections from a validated file; ids must be unique and sections of a segment must not overlap."""
    seen: set[str] = set()
    for s in spec.sections:
        if s.id in seen:
            raise InputError(f"duplicate section id {s.id!r}", source=source, field="sections")
        seen.add(s.id)
    built = [_build(theatre, sp, source=source) for sp in spec.sections]
    by_seg: dict[str, list[Section]] = {}
    for b in built:
        by_seg.setdefault(b.segment, []).append(b)
    for seg, lst in by_seg.items():
        lst.sort(key=lambda s: s.from_km)
        for a, b in itertools.pairwise(lst):
            if b.from_km < a.to_km - 1e-6:
                raise InputError(
                    f"sections {a.id} and {b.id} overlap on {seg} ({a.to_km} > {b.from_km} km)",
                    source=source,
                    field=f"sections[{b.id}].from_km",
                )
    notes = [spec.note] if spec.note else []
    return Sections(theatre=theatre, sections=built, source=source, notes=notes)


def shipped_sections_path(theatre_name: str) -> Path | None:
    p = Path(str(resources.files("borderwatch.crossings") / "data" / theatre_name / "sections.yaml"))
    return p if p.is_file() else None


def load_sections(theatre: Theatre, path: Path | str | None = None) -> Sections:
    """Sections from ``path``, else the theatre folder's ``sections.yaml``, else the shipped file for the
    theatre, else an even split of the watched border (:func:`split_border`)."""
    if path is None:
        own = theatre.root / "sections.yaml"
        path = own if own.is_file() else shipped_sections_path(theatre.name)
    if path is None:
        return split_border(theatre)
    spec = load_model(SectionsFile, path)
    return sections_from_spec(theatre, spec, source=str(path))


def split_border(theatre: Theatre, *, target_km: float = 20.0, unit: str = "unassigned") -> Sections:
    """An even split of every watched segment into sections of about ``target_km`` (notional)."""
    specs: list[SectionSpec] = []
    for seg in theatre.watched_segments:
        total = chained_line_xy(theatre, seg.id).length / 1000.0
        n = max(1, round(total / target_km))
        edges = np.linspace(0.0, total, n + 1)
        for i in range(n):
            specs.append(
                SectionSpec(
                    id=f"{seg.id}-{i + 1:02d}",
                    name=f"{seg.id} km {edges[i]:.0f}–{edges[i + 1]:.0f}",
                    segment=seg.id,
                    from_km=round(float(edges[i]), 2),
                    to_km=round(float(edges[i + 1]), 2),
                    unit=unit,
                    source=f"assumption: even split of the {seg.id} line into ~{target_km:.0f} km sections",
                )
            )
    note = f"no sections file for theatre {theatre.name!r}: even split of the watched border (notional)"
    return sections_from_spec(theatre, SectionsFile(theatre=theatre.name, note=note, sections=specs), source="split")
