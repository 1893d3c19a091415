"""Reads of the consent gate: the disease hierarchy across vocabularies, and names.

``covering_terms(curie)`` answers "which terms is this disease the same as or under?",
walking the closure table of each vocabulary and the mappings between them until
nothing new turns up. Each term found carries the chain of mapped terms it was reached
through, so a reason can say "MONDO:0005148 lies under consented MONDO:0005015 (via
DOID:9352)".
"""

from __future__ import annotations

from collections import OrderedDict

from django.db import DatabaseError

from governance.gate.models import (
    OntologyClosure,
    OntologyMapping,
    OntologyRelease,
    OntologySynonym,
    OntologyTerm,
    Vocabulary,
)
from governance.gate.ontology.names import normalise

_MAX_ROUNDS = 8
_CACHE_SIZE = 4096
_cache: OrderedDict = OrderedDict()


def ontology_generation() -> tuple:
    """A token that changes whenever an ontology is (re)loaded."""
    return tuple(
        OntologyRelease.objects.order_by("source").values_list("source", "digest", "loaded_at")
    )


def covering_terms(curie: str, *, generation: tuple | None = None) -> dict[str, tuple[str, ...]]:
    """Every term ``curie`` is the same as or lies under, in any loaded vocabulary.

    The answer maps each such term to the mapped terms on the way (empty when reached
    within ``curie``'s own hierarchy). ``curie`` itself is always included, so an
    unloaded term still matches itself exactly.
    """
    generation = ontology_generation() if generation is None else generation
    key = (generation, curie)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    found: dict[str, tuple[str, ...]] = {curie: ()}
    frontier = {curie}
    for _ in range(_MAX_ROUNDS):
        if not frontier:
            break
        # Up the hierarchy of each newly reached term's vocabulary.
        grown: set[str] = set(frontier)
        for descendant, ancestor in OntologyClosure.objects.filter(
            descendant__in=frontier
        ).values_list("descendant", "ancestor"):
            if ancestor not in found:
                found[ancestor] = found[descendant]
                grown.add(ancestor)
        # Across to other vocabularies through mappings (source same as or under target).
        frontier = set()
        for source, target in OntologyMapping.objects.filter(source__in=grown).values_list(
            "source", "target"
        ):
            if target not in found:
                found[target] = (*found[source], target)
                frontier.add(target)
    _cache[key] = found
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return found


def term_label(curie: str) -> str:
    return OntologyTerm.objects.filter(curie=curie).values_list("label", flat=True).first() or ""


def term_label_or_blank(curie: str) -> str:
    """``term_label`` for plain-language rendering: blank while the ontology tables are not
    there yet (before ``migrate``), so a page falls back to the shipped labels."""
    try:
        return term_label(curie)
    except DatabaseError:
        return ""


def diagnosis_terms(name: str) -> list[str]:
    """The MONDO and ICD-10 CURIEs for a disease name, through labels and exact synonyms.

    Names are compared after normalisation (case, punctuation, British spellings such
    as "anaemia"). MONDO terms come from MONDO's own names, or through DOID's names and
    the MONDO-DOID mappings; ICD-10 codes from ICD-10's own titles, or from the MONDO
    term's mappings (MONDO -> DOID -> ICD-10-CM -> ICD-10). An empty list means the
    name did not resolve.
    """
    text = normalise(name)
    if not text:
        return []
    rows = list(
        OntologySynonym.objects.filter(text=text)
        .order_by("-is_label", "curie")
        .values_list("curie", "vocabulary")
    )
    mondo = [c for c, v in rows if v == Vocabulary.MONDO]
    icd10 = [c for c, v in rows if v == Vocabulary.ICD10]
    doid = [c for c, v in rows if v == Vocabulary.DOID]
    live = set(
        OntologyTerm.objects.filter(curie__in=mondo + doid + icd10, obsolete=False).values_list(
            "curie", flat=True
        )
    )
    mondo = [c for c in dict.fromkeys(mondo) if c in live]
    doid = [c for c in dict.fromkeys(doid) if c in live]
    if not mondo and doid:
        mondo = list(
            dict.fromkeys(
                OntologyMapping.objects.filter(
                    source__in=doid, target__startswith="MONDO:", kind="exact"
                )
                .order_by("target")
                .values_list("target", flat=True)
            )
        )
    if not icd10:
        equivalents = set(doid) | set(
            OntologyMapping.objects.filter(
                source__in=mondo, target__startswith="DOID:", kind="exact"
            ).values_list("target", flat=True)
        )
        cm = set(
            OntologyMapping.objects.filter(
                source__in=equivalents, target__startswith="ICD10CM:"
            ).values_list("target", flat=True)
        )
        icd10 = sorted(
            set(
                OntologyMapping.objects.filter(
                    source__in=cm, target__startswith="ICD10:"
                ).values_list("target", flat=True)
            )
        )
    if not mondo and icd10:
        # Back from the ICD-10 code: same ICD-10-CM code, the one DOID term claiming it,
        # and its exact MONDO match.
        cm = OntologyMapping.objects.filter(
            source__in=icd10, target__startswith="ICD10CM:"
        ).values_list("target", flat=True)
        doid = OntologyMapping.objects.filter(
            source__in=list(cm), target__startswith="DOID:"
        ).values_list("target", flat=True)
        mondo = sorted(
            set(
                OntologyMapping.objects.filter(
                    source__in=list(doid), target__startswith="MONDO:", kind="exact"
                ).values_list("target", flat=True)
            )
        )
    return [*mondo, *dict.fromkeys(icd10)]
