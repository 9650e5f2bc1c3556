"""Border events after Implementing Regulation (EU) 2021/581: the event record and its versions.

An :class:`EventData` carries the information of Annex 2 §1 (single event report on an unauthorised border
crossing or a suspected attempt) plus the confidence fields of Art. 16 and the indicative impact level of
Art. 25(3); ``category = refusal_of_entry`` records a refusal at a crossing point for the Annex 1 indicator.
An :class:`EventVersion` is one line of the register: never rewritten; a follow-up, a correction or a closure
is a new version carrying who, when and why. Times are UTC epoch seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from borderwatch.config import Strict

Category = Literal["unauthorised_crossing", "refusal_of_entry"]
Attempt = Literal["attempted", "actual"]
Manner = Literal["open", "clandestine", "unknown"]
Direction = Literal["entry", "exit", "unknown"]
Detection = Literal["bcp_check", "patrol", "sensor", "other"]
Transport = Literal["on_foot", "vehicle", "train", "boat", "aircraft", "other", "unknown"]
Outcome = Literal["prevented", "apprehended", "turned_back", "crossed", "unknown"]
#: Art. 16(2)(a) credibility of the information (admiralty scale 1-6)
Credibility = Literal["confirmed", "probably_true", "possibly_true", "doubtful", "improbable", "cannot_be_judged"]
#: Art. 16(2)(b) reliability of the source (admiralty scale A-F)
Reliability = Literal["A", "B", "C", "D", "E", "F"]
#: Art. 16(2)(c) validation status of the report
Validation = Literal["validated", "not_validated"]
#: Art. 25(3) indicative impact level of an event
Impact = Literal["low", "medium", "high", "very_high"]
AgeGroup = Literal["adult", "minor", "unknown"]
Sex = Literal["male", "female", "unknown"]
#: reasons of refusal, Regulation (EU) 2016/399 Annex V Part B (A-J)
RefusalReason = Literal["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
Action = Literal["notice", "first_report", "follow_up", "correction", "closure"]
ClosureReason = Literal["did_not_occur", "not_significant", "ended"]

MAX_TIME_S = 4.1e9  # times run 1970-2099
MAX_PERSONS = 100_000  # more in one event is a typing error
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


class EventData(Strict):
    """The content of one event report (Annex 2 §1; Art. 16; Art. 25(3))."""

    category: Category = "unauthorised_crossing"
    attempt: Attempt = Field(description="1.1(a) attempted or actual crossing")
    manner: Manner = Field("unknown", description="1.1(b) open or clandestine")
    time_s: float = Field(ge=0.0, lt=MAX_TIME_S, description="1.2(a) time of the event, UTC epoch s")
    aware_s: float | None = Field(
        None, ge=0.0, lt=MAX_TIME_S, description="when the authority became aware (default: time_s)"
    )
    reported_s: float | None = Field(
        None, ge=0.0, lt=MAX_TIME_S,
        description="when the first report was submitted, if outside this register (imports); UTC epoch s",
    )  # fmt: skip
    section: str = Field(min_length=1, description="1.2(a) place: border section id")
    lat: float | None = Field(None, ge=-90.0, le=90.0, description="1.2(a) place: point, degrees")
    lon: float | None = Field(None, ge=-180.0, le=180.0)
    crossing_point: str | None = Field(None, description="border crossing point name (BCP checks, refusals)")
    direction: Direction = Field(description="1.2(b) entry to / exit from the Schengen area")
    detection: Detection = Field(description="1.2(f) how detected")
    alert_id: str | None = Field(None, description="a linked borderwatch alert (detection = sensor)")
    persons: int = Field(ge=0, le=MAX_PERSONS, description="number of persons (0 = not known)")
    nationalities: dict[str, int] = Field(default_factory=dict, description="ISO 3166 code -> persons")
    age_groups: dict[AgeGroup, int] = Field(default_factory=dict)
    sex: dict[Sex, int] = Field(default_factory=dict)
    transport: Transport = Field("unknown", description="1.2(h) means of transport")
    evasion: bool = Field(False, description="1.2(g) attempts to evade border control")
    violence: bool = Field(False, description="violence or aggression against border guards")
    outcome: Outcome = "unknown"
    facilitation_ref: str | None = Field(None, description="link to a facilitation event (Annex 2 §2)")
    trafficking_ref: str | None = Field(None, description="link to a trafficking in human beings event")
    life_at_risk_ref: str | None = Field(None, description="link to a life-at-risk / search event")
    refusal_reasons: list[RefusalReason] = Field(default_factory=list, description="2016/399 Annex V Part B")
    credibility: Credibility = "cannot_be_judged"
    reliability: Reliability = "F"
    validation: Validation = "not_validated"
    impact: Impact = "low"
    reaction: str = Field("", description="Art. 9(5) reaction of the authorities, measures taken or planned")
    description: str = ""
    external_ref: str | None = Field(None, description="id of the record in the system it was imported from")

    @model_validator(mode="after")
    def _consistent(self) -> EventData:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        for name in ("nationalities", "age_groups", "sex"):
            d: dict[str, int] = getattr(self, name)
            if any(v < 0 for v in d.values()):
                raise ValueError(f"{name}: negative count")
            if self.persons and sum(d.values()) > self.persons:
                raise ValueError(f"{name}: {sum(d.values())} persons broken down but persons = {self.persons}")
        if self.aware_s is not None and self.aware_s < self.time_s - 365 * 86400:
            raise ValueError("aware_s more than a year before the event")
        if self.category == "refusal_of_entry" and not self.crossing_point:
            raise ValueError("a refusal of entry needs crossing_point")
        return self

    @property
    def aware_at(self) -> float:
        return self.time_s if self.aware_s is None else self.aware_s


class EventVersion(Strict):
    """One register line: a version of one event. Versions are appended, never rewritten."""

    event_id: str = Field(min_length=1)
    version: int = Field(ge=1)
    action: Action
    author: str = Field(min_length=1)
    recorded_s: float = Field(ge=0.0, lt=MAX_TIME_S, description="when this version was recorded, UTC epoch s")
    reason: str = Field(min_length=1, description="why this version was made")
    owner: str = Field(min_length=1, description="owner of the event (Art. 9(7) closes it)")
    follows: str | None = Field(None, description="'EVENT@VERSION' of the first report this one links to")
    corrects: int | None = Field(None, ge=1, description="the version a correction replaces")
    closure: ClosureReason | None = None
    data: EventData
    prev_sha256: str = Field("", description="SHA-256 of the previous line of the register file (hash chain)")
