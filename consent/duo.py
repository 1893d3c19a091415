"""The GA4GH Data Use Ontology (DUO) and a validated set of data-use terms.

The vocabulary is read from the official release shipped in ``consent/data/duo/``:
``duo.owl`` (parsed with rdflib) gives labels, definitions, parents and obsolete flags;
``duo.csv`` gives the shorthands. ``DataUse`` is one consent's data-use terms: exactly
one permission plus modifiers with their parameters, validated against the vocabulary.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from governance.errors import ValidationFailed

DATA_DIR = Path(__file__).resolve().parent / "data" / "duo"
OWL_FILE = DATA_DIR / "duo.owl"
CSV_FILE = DATA_DIR / "duo.csv"

_OBO = "http://purl.obolibrary.org/obo/"
_OBO_IN_OWL = "http://www.geneontology.org/formats/oboInOwl#"
_IAO_DEFINITION = _OBO + "IAO_0000115"

# Permissions (exactly one per data use).
NRES = "DUO:0000004"
GRU = "DUO:0000042"
HMB = "DUO:0000006"
DS = "DUO:0000007"
POA = "DUO:0000011"
# Modifiers.
RS = "DUO:0000012"
NMDS = "DUO:0000015"
GSO = "DUO:0000016"
NPUNCU = "DUO:0000018"
PUB = "DUO:0000019"
COL = "DUO:0000020"
IRB = "DUO:0000021"
GS = "DUO:0000022"
MOR = "DUO:0000024"
TS = "DUO:0000025"
US = "DUO:0000026"
PS = "DUO:0000027"
IS = "DUO:0000028"
RTN = "DUO:0000029"
CC = "DUO:0000043"
NPOA = "DUO:0000044"
NPU = "DUO:0000045"
NCU = "DUO:0000046"

PERMISSIONS = (NRES, GRU, HMB, DS, POA)
MODIFIERS = (NPU, NCU, NPUNCU, IRB, GS, PUB, COL, RTN, TS, MOR, US, PS, IS, NMDS, GSO, CC, NPOA, RS)

# Disease terms are CURIEs of the vocabularies the gate can load.
DISEASE_CURIE = re.compile(
    r"^(?:MONDO:\d{7}|DOID:\d{1,8}"
    r"|ICD10:(?:[A-Z]\d{2}(?:\.\d{1,2})?|[A-Z]\d{2}-[A-Z]\d{2}|[IVX]{1,5})"
    r"|ICD10CM:[A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?)$"
)
# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU
    GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
    KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA
    ZM ZW""".split()
)
_MAX_NAME = 200
_MAX_RESTRICTION_TEXT = 4000
_MAX_MONTHS = 1200


@dataclass(frozen=True)
class Term:
    id: str  # CURIE, e.g. "DUO:0000007"
    shorthand: str  # e.g. "DS"; empty for terms without one
    label: str
    description: str
    parents: tuple[str, ...]  # CURIEs of direct rdfs:subClassOf parents
    obsolete: bool


def _curie(iri: str) -> str | None:
    if not iri.startswith(_OBO):
        return None
    local = iri[len(_OBO) :]
    prefix, _, number = local.partition("_")
    if not number.isdigit():
        return None
    if prefix == "DUO" and len(number) == 8 and number.startswith("0"):
        number = number[1:]  # the release's NPOA typo: DUO_00000044 is DUO:0000044
    return f"{prefix}:{number}"


@cache
def terms() -> dict[str, Term]:
    """Every DUO class of the shipped release, by CURIE (obsolete ones included)."""
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    graph = rdflib.Graph()
    graph.parse(OWL_FILE, format="xml")
    with CSV_FILE.open(newline="", encoding="utf-8") as handle:
        shorthands = {row["id"]: row["shorthand"] for row in csv.DictReader(handle)}
    obsolete_class = rdflib.URIRef(_OBO_IN_OWL + "ObsoleteClass")
    shorthand_prop = rdflib.URIRef(_OBO_IN_OWL + "shorthand")
    definition = rdflib.URIRef(_IAO_DEFINITION)
    found: dict[str, Term] = {}
    for iri in graph.subjects(RDF.type, OWL.Class):
        if not isinstance(iri, rdflib.URIRef):
            continue
        curie = _curie(str(iri))
        if not curie or not curie.startswith("DUO:"):
            continue
        supers = list(graph.objects(iri, RDFS.subClassOf))
        parents = tuple(
            sorted(p for p in (_curie(str(s)) for s in supers if isinstance(s, rdflib.URIRef)) if p)
        )
        label = str(graph.value(iri, RDFS.label) or "")
        obsolete = (
            obsolete_class in supers
            or str(graph.value(iri, OWL.deprecated) or "").lower() == "true"
            or label.startswith("obsolete")
        )
        found[curie] = Term(
            id=curie,
            shorthand=shorthands.get(curie) or str(graph.value(iri, shorthand_prop) or ""),
            label=label,
            description=str(graph.value(iri, definition) or ""),
            parents=parents,
            obsolete=obsolete,
        )
    return found


def term(curie: str) -> Term:
    return terms()[curie]


def shorthand(curie: str) -> str:
    found = terms().get(curie)
    return (found.shorthand or found.label) if found else curie


@cache
def _by_shorthand() -> dict[str, str]:
    return {t.shorthand: t.id for t in terms().values() if t.shorthand and not t.obsolete}


def _resolve(value, where: str, allowed: tuple[str, ...], kind: str) -> str:
    """A CURIE (or a live shorthand) that must be a live DUO term of ``allowed``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{where}: expected a DUO term such as {allowed[0]}")
    value = value.strip()
    curie = _by_shorthand().get(value, value)
    found = terms().get(curie)
    if found is None:
        raise ValidationFailed(f"{where}: {value} is not a DUO term")
    if found.obsolete:
        raise ValidationFailed(f"{where}: {curie} is obsolete ({found.shorthand or found.label})")
    if curie not in allowed:
        names = ", ".join(shorthand(c) for c in allowed)
        raise ValidationFailed(
            f"{where}: {curie} ({found.shorthand or found.label}) is not a {kind} (one of {names})"
        )
    return curie


def _string_list(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed(f"{where}.{key}: expected a list")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > _MAX_NAME:
            raise ValidationFailed(
                f"{where}.{key}[{index}]: expected a non-empty name of at most {_MAX_NAME} characters"
            )
        if item.strip() in out:
            raise ValidationFailed(f"{where}.{key}[{index}]: {item.strip()} is listed twice")
        out.append(item.strip())
    return tuple(out)


def parse_date(value, where: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationFailed(f"{where}: expected a date as YYYY-MM-DD")


def disease_list(value, where: str, *, required: bool) -> tuple[str, ...]:
    """Validated disease CURIEs (MONDO, DOID, ICD10 or ICD10CM), without duplicates."""
    if value in (None, ""):
        value = []
    if not isinstance(value, (list, tuple)):
        raise ValidationFailed(f"{where}: expected a list of disease CURIEs")
    if required and not value:
        raise ValidationFailed(
            f"{where}: disease-specific research (DS) needs at least one disease term"
        )
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not DISEASE_CURIE.match(item.strip()):
            raise ValidationFailed(
                f"{where}[{index}]: {item!r} is not a disease CURIE (MONDO:0007254, DOID:1612, ICD10:C50.9)"
            )
        if item.strip() in out:
            raise ValidationFailed(f"{where}[{index}]: {item.strip()} is listed twice")
        out.append(item.strip())
    return tuple(out)


_DATA_USE_KEYS = frozenset(
    {
        "permission",
        "diseases",
        "modifiers",
        "countries",
        "months",
        "start",
        "moratorium",
        "users",
        "projects",
        "institutions",
        "restriction_text",
    }
)


@dataclass(frozen=True)
class DataUse:
    """One consent's data-use terms: a permission, its diseases and the modifiers."""

    permission: str
    diseases: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    months: int | None = None
    start: date | None = None
    moratorium: date | None = None
    users: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    restriction_text: str = ""

    def has(self, modifier: str) -> bool:
        return modifier in self.modifiers

    @classmethod
    def from_dict(cls, data, *, where: str = "data_use") -> DataUse:
        """Validate a data-use dict and return it; errors name the offending field."""
        if not isinstance(data, dict):
            raise ValidationFailed(f"{where}: expected an object")
        unknown = sorted(set(data) - _DATA_USE_KEYS)
        if unknown:
            raise ValidationFailed(f"{where}.{unknown[0]}: unknown field")
        permission = _resolve(
            data.get("permission"), f"{where}.permission", PERMISSIONS, "permission"
        )
        diseases = disease_list(
            data.get("diseases"), f"{where}.diseases", required=permission == DS
        )
        if diseases and permission != DS:
            raise ValidationFailed(
                f"{where}.diseases: only a disease-specific (DS) permission names diseases"
            )
        raw_modifiers = data.get("modifiers") or []
        if not isinstance(raw_modifiers, (list, tuple)):
            raise ValidationFailed(f"{where}.modifiers: expected a list of DUO modifiers")
        modifiers: list[str] = []
        for index, item in enumerate(raw_modifiers):
            curie = _resolve(item, f"{where}.modifiers[{index}]", MODIFIERS, "data use modifier")
            if curie in modifiers:
                raise ValidationFailed(f"{where}.modifiers[{index}]: {curie} is listed twice")
            modifiers.append(curie)
        countries = _string_list(data, "countries", where)
        for index, code in enumerate(countries):
            if code not in ISO_COUNTRIES:
                raise ValidationFailed(
                    f"{where}.countries[{index}]: {code} is not an ISO 3166-1 alpha-2 country code"
                )
        months = data.get("months")
        if months is not None and (
            isinstance(months, bool) or not isinstance(months, int) or not 0 < months <= _MAX_MONTHS
        ):
            raise ValidationFailed(
                f"{where}.months: expected a whole number of months from 1 to {_MAX_MONTHS}"
            )
        start = parse_date(data.get("start"), f"{where}.start")
        moratorium = parse_date(data.get("moratorium"), f"{where}.moratorium")
        users = _string_list(data, "users", where)
        projects = _string_list(data, "projects", where)
        institutions = _string_list(data, "institutions", where)
        restriction_text = data.get("restriction_text") or ""
        if not isinstance(restriction_text, str) or len(restriction_text) > _MAX_RESTRICTION_TEXT:
            raise ValidationFailed(
                f"{where}.restriction_text: expected text of at most {_MAX_RESTRICTION_TEXT} characters"
            )
        restriction_text = restriction_text.strip()
        # Each parameterised modifier needs its parameter, and a parameter needs its modifier.
        needs = [
            (GS, "countries", bool(countries), "at least one country"),
            (TS, "months", months is not None, "a number of months"),
            (MOR, "moratorium", moratorium is not None, "a date"),
            (US, "users", bool(users), "at least one user"),
            (PS, "projects", bool(projects), "at least one project"),
            (IS, "institutions", bool(institutions), "at least one institution"),
            (RS, "restriction_text", bool(restriction_text), "the restriction's text"),
        ]
        for modifier, key, present, what in needs:
            if modifier in modifiers and not present:
                raise ValidationFailed(
                    f"{where}.{key}: {shorthand(modifier)} ({modifier}) needs {what}"
                )
            if present and modifier not in modifiers:
                raise ValidationFailed(
                    f"{where}.{key}: given without the {shorthand(modifier)} modifier ({modifier})"
                )
        if start is not None and TS not in modifiers:
            raise ValidationFailed(f"{where}.start: given without the TS modifier ({TS})")
        return cls(
            permission=permission,
            diseases=diseases,
            modifiers=tuple(modifiers),
            countries=countries,
            months=months,
            start=start,
            moratorium=moratorium,
            users=users,
            projects=projects,
            institutions=institutions,
            restriction_text=restriction_text,
        )

    def to_dict(self) -> dict:
        """The JSON shape ``from_dict`` reads; empty values are left out."""
        out: dict = {"permission": self.permission}
        for key in ("diseases", "modifiers", "countries", "users", "projects", "institutions"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.months is not None:
            out["months"] = self.months
        if self.start is not None:
            out["start"] = self.start.isoformat()
        if self.moratorium is not None:
            out["moratorium"] = self.moratorium.isoformat()
        if self.restriction_text:
            out["restriction_text"] = self.restriction_text
        return out

    @classmethod
    def from_consent(cls, record) -> DataUse:
        """The data use of a ``ConsentRecord`` version, validated like any other."""
        return cls.from_dict(
            {
                "permission": record.permission,
                "diseases": list(record.diseases or []),
                "modifiers": record.modifier_list,
                "countries": list(record.countries or []),
                "months": record.months,
                "start": record.use_start,
                "moratorium": record.moratorium,
                "users": list(record.users or []),
                "projects": list(record.projects or []),
                "institutions": list(record.institutions or []),
                "restriction_text": record.restriction_text,
            },
            where="consent",
        )


def modifiers_field(modifiers) -> str:
    """The comma-wrapped storage form of a modifier list: ``",DUO:0000045,DUO:0000021,"``."""
    return f",{','.join(modifiers)}," if modifiers else ""
