"""ASTERIX record layouts compiled from libasterix's category specifications (no hand-copied tables).

libasterix (MIT, ``asterix.generated``) holds every category and edition as Python classes generated from the
EUROCONTROL specifications; it parses correctly but slowly (about 500 CAT048 records/s on one core here, see
docs/architecture.md). For the live radar and ADS-B input this module compiles a category's UAP once into plain
tuples — per FSPEC bit the item's name and how its length is found — and each wanted subfield into
``(item, byte offset, bit shift, bit size, signed, lsb)``, all read from the libasterix classes. The fast walker
in :mod:`borderwatch.interop.asterix` then only finds item boundaries and extracts the fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

# item length kinds
FIXED = 0  # arg: byte count
EXTENDED = 1  # arg: tuple of (group bytes, ends with an FX bit)
REPETITIVE = 2  # arg: (rep-count bytes, element bytes)
REPETITIVE_FX = 3  # arg: element bytes (each element ends with an FX bit)
EXPLICIT = 4  # arg: None (first byte is the length, itself included)
COMPOUND = 5  # arg: (fspec max bytes, tuple of sub-layouts or None)
SPARE = 6  # an FSPEC bit that must not be set
RFS = 7  # random field sequencing (not supported by the fast path)

Layout = tuple[str, int, Any]  # (name, kind, arg)

EDITIONS: dict[int, str] = {
    48: "Cat_048_1_32",
    34: "Cat_034_1_29",
    21: "Cat_021_2_7",
    62: "Cat_062_1_21",
    1: "Cat_001_1_4",
    2: "Cat_002_1_1",
    65: "Cat_065_1_6",
}


class SpecError(Exception):
    """The libasterix spec has a shape this module does not compile (a bug here, not bad input)."""


def gen() -> Any:
    """``asterix.generated`` (imported on first use: it takes a few seconds)."""
    import asterix.generated as g

    return g


def spec(cat: int) -> Any:
    """The libasterix class of the edition borderwatch uses for ``cat`` (``EDITIONS``)."""
    name = EDITIONS.get(cat)
    if name is None:
        raise KeyError(cat)
    return getattr(gen(), name)


def _variation(nsp: Any) -> Any:
    from asterix.base import RuleVariationContextFree, RuleVariationDependent

    rule = nsp.cv_rule
    if issubclass(rule, RuleVariationContextFree):
        return rule.cv_variation
    if issubclass(rule, RuleVariationDependent):
        sizes = {_fixed_bits(v) for _, v in rule.cv_cases} | {_fixed_bits(rule.cv_default_variation)}
        if len(sizes) != 1 or None in sizes:
            raise SpecError(f"{nsp.cv_name}: context-dependent item of varying size")
        return rule.cv_default_variation
    raise SpecError(f"{nsp.cv_name}: unknown rule {rule}")


def _fixed_bits(var: Any) -> int | None:
    from asterix.base import Element, Group

    if issubclass(var, Element | Group):
        return int(var.cv_bit_size)
    return None


def _layout(name: str, var: Any) -> Layout:
    from asterix.base import Compound, Explicit, Extended, Repetitive

    bits = _fixed_bits(var)
    if bits is not None:
        if bits % 8:
            raise SpecError(f"{name}: {bits} bits is not whole bytes")
        return (name, FIXED, bits // 8)
    if issubclass(var, Extended):
        groups = []
        for g in var.cv_items_list:
            b = sum(1 if x is None else x[1] for x in g)
            if b % 8:
                raise SpecError(f"{name}: extended group of {b} bits")
            groups.append((b // 8, bool(g) and g[-1] is None))
        return (name, EXTENDED, tuple(groups))
    if issubclass(var, Repetitive):
        eb = _fixed_bits(var.cv_variation)
        if eb is None:
            raise SpecError(f"{name}: repetitive of a variable element")
        if var.cv_rep_bytes is None:
            if (eb + 1) % 8:
                raise SpecError(f"{name}: FX-repetitive element of {eb} bits")
            return (name, REPETITIVE_FX, (eb + 1) // 8)
        if eb % 8:
            raise SpecError(f"{name}: repetitive element of {eb} bits")
        return (name, REPETITIVE, (int(var.cv_rep_bytes), eb // 8))
    if issubclass(var, Explicit):
        return (name, EXPLICIT, None)
    if issubclass(var, Compound):
        subs = tuple(None if s is None else _layout(s.cv_name, _variation(s)) for s in var.cv_items_list)
        return (name, COMPOUND, (int(var.cv_fspec_max_bytes), subs))
    raise SpecError(f"{name}: unknown variation {var}")


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """A category's UAP: ``slots[frn - 1]`` is the layout of FSPEC bit ``frn``; ``fspec_max`` its byte limit."""

    cat: int
    edition: str
    slots: tuple[Layout, ...]
    fspec_max: int


@cache
def record_layout(cat: int) -> RecordLayout:
    """Compile the UAP of ``cat`` (single-UAP categories only)."""
    from asterix.base import UapItem, UapItemRFS, UapSingle

    s = spec(cat)
    uap = s.cv_uap
    if not issubclass(uap, UapSingle):
        raise SpecError(f"CAT{cat:03d}: multiple UAPs")
    rec = uap.cv_record
    slots: list[Layout] = []
    for u in rec.cv_items_list:
        if issubclass(u, UapItem):
            nsp = u.cv_non_spare
            slots.append(_layout(nsp.cv_name, _variation(nsp)))
        elif issubclass(u, UapItemRFS):
            slots.append(("RFS", RFS, None))
        else:
            slots.append(("spare", SPARE, None))
    return RecordLayout(cat, EDITIONS[cat], tuple(slots), int(rec.cv_fspec_max_bytes))


@dataclass(frozen=True, slots=True)
class Field:
    """One subfield: ``bits`` at ``shift`` within the big-endian integer of bytes ``[off, off + nbytes)`` of the
    item (or of a compound sub-item ``sub``); value = raw × ``lsb`` (raw two's complement when ``signed``)."""

    item: str
    sub: str | None
    off: int
    nbytes: int
    shift: int
    bits: int
    signed: bool
    lsb: float
    unit: str

    def raw(self, b: bytes | memoryview, start: int) -> int:
        v = (int.from_bytes(b[start + self.off : start + self.off + self.nbytes], "big") >> self.shift) & (
            (1 << self.bits) - 1
        )
        if self.signed and v >> (self.bits - 1):
            v -= 1 << self.bits
        return v


def _content(it: Any) -> tuple[bool, float, str]:
    from asterix.base import ContentInteger, ContentQuantity, Element, RuleContentContextFree, Signed

    var = _variation(it.cv_non_spare)
    if not issubclass(var, Element):
        raise SpecError(f"{it.cv_non_spare.cv_name}: not an element")
    rule = var.cv_rule
    rule_c = rule.cv_content if issubclass(rule, RuleContentContextFree) else rule.cv_default_content
    if issubclass(rule_c, ContentQuantity):
        return issubclass(rule_c.cv_signedness, Signed), float(rule_c.cv_lsb), str(rule_c.cv_unit)
    if issubclass(rule_c, ContentInteger):
        return issubclass(rule_c.cv_signedness, Signed), 1.0, ""
    return False, 1.0, ""


def _find(parts: list[tuple[Any, int]], name: str, item: str, sub: str | None, base_bits: int = 0) -> Field | None:
    from asterix.base import Element, Item

    pos = base_bits
    for x, size in parts:
        if x is not None and issubclass(x, Item) and x.cv_non_spare.cv_name == name:
            end = pos + size
            b0, b1 = pos // 8, (end + 7) // 8
            signed, lsb, unit = _content(x)
            if not issubclass(_variation(x.cv_non_spare), Element):
                raise SpecError(f"{item}/{name}: not an element")
            return Field(item, sub, b0, b1 - b0, b1 * 8 - end, size, signed, lsb, unit)
        pos += size
    return None


@cache
def field(cat: int, item: str, name: str | None = None, sub: str | None = None) -> Field:
    """The subfield ``name`` of ``item`` (of compound sub-item ``sub``), or the whole element item if ``name`` is
    None, in the edition of ``cat`` that borderwatch uses."""
    from asterix.base import Compound, Element, Extended, Group, Item

    rec = spec(cat).cv_uap.cv_record
    var = _variation(rec.cv_items_dict[item])
    if sub is not None:
        if not issubclass(var, Compound):
            raise SpecError(f"{item}: not compound")
        var = _variation(var.cv_items_dict[sub])
    owner = item if sub is None else f"{item}/{sub}"
    if name is None and issubclass(var, Group):
        named = [x for x, _ in var.cv_items_list if issubclass(x, Item)]
        if len(named) == 1:
            name = named[0].cv_non_spare.cv_name
    if name is None:
        if not issubclass(var, Element):
            raise SpecError(f"{owner}: not an element")
        rule_c = var.cv_rule.cv_content
        from asterix.base import ContentQuantity, Signed

        if issubclass(rule_c, ContentQuantity):
            signed, lsb, unit = issubclass(rule_c.cv_signedness, Signed), float(rule_c.cv_lsb), str(rule_c.cv_unit)
        else:
            signed, lsb, unit = False, 1.0, ""
        n = int(var.cv_bit_size)
        return Field(item, sub, 0, (n + 7) // 8, 0, n, signed, lsb, unit)
    if issubclass(var, Group):
        f = _find(list(var.cv_items_list), name, item, sub)
    elif issubclass(var, Extended):
        flat: list[tuple[Any, int]] = []
        for g in var.cv_items_list:
            flat += [(None, 1) if x is None else x for x in g]
        f = _find(flat, name, item, sub)
    else:
        raise SpecError(f"{owner}: {var} has no named subfields here")
    if f is None:
        raise SpecError(f"{owner}/{name}: no such subfield")
    return f
