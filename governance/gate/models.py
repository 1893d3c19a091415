"""Disease ontologies as the gate reads them: terms, a closure table and mappings.

Terms are CURIEs (``MONDO:0007254``, ``DOID:1612``, ``ICD10:C50.9``). The closure table
holds every (descendant, ancestor) pair of one vocabulary's hierarchy with the shortest
distance, each term with itself at 0, so "is X at or below Y?" is one indexed lookup.
Mappings cross vocabularies; each row reads "``source`` is the same as, or narrower
than, ``target``", so a term covered by ``target`` is also covered through ``source``.
"""

from __future__ import annotations

from django.db import models


class Vocabulary(models.TextChoices):
    MONDO = "MONDO", "Mondo Disease Ontology"
    DOID = "DOID", "Human Disease Ontology"
    ICD10 = "ICD10", "ICD-10 (WHO)"
    ICD10CM = "ICD10CM", "ICD-10-CM"


class OntologyRelease(models.Model):
    """One loaded source (an ontology file, a mapping file or the ICD-10 package)."""

    source = models.CharField(
        max_length=32, unique=True
    )  # "MONDO", "DOID", "ICD10", "SSSOM:MONDO-DOID"
    version = models.CharField(max_length=100, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    digest = models.CharField(max_length=64)  # sha256 of the file (or package version)
    terms = models.PositiveIntegerField(default=0)
    closure_rows = models.PositiveIntegerField(default=0)
    mappings = models.PositiveIntegerField(default=0)
    loaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source} {self.version}"


class OntologyTerm(models.Model):
    curie = models.CharField(max_length=32, primary_key=True)
    vocabulary = models.CharField(max_length=8, choices=Vocabulary.choices, db_index=True)
    label = models.CharField(max_length=500)
    obsolete = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.curie} {self.label}"


class OntologyClosure(models.Model):
    descendant = models.CharField(max_length=32)
    ancestor = models.CharField(max_length=32, db_index=True)
    distance = models.PositiveSmallIntegerField()
    vocabulary = models.CharField(max_length=8, choices=Vocabulary.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["descendant", "ancestor"], name="unique_closure_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.descendant} <= {self.ancestor} ({self.distance})"


class MappingKind(models.TextChoices):
    EXACT = "exact", "exact match (SSSOM skos:exactMatch)"
    XREF = "xref", "database cross-reference (DOID xref)"
    CODE = "code", "same ICD-10 code"
    CODE_STEM = "code_stem", "ICD-10-CM code under its ICD-10 stem"
    REPLACED_BY = "replaced_by", "obsolete term replaced by"


class OntologyMapping(models.Model):
    source = models.CharField(max_length=32)
    target = models.CharField(max_length=32)
    kind = models.CharField(max_length=12, choices=MappingKind.choices)
    origin = models.CharField(max_length=32)  # the OntologyRelease.source that supplied it

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "origin"], name="unique_mapping"),
        ]
        indexes = [models.Index(fields=["source"]), models.Index(fields=["origin"])]

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.kind})"


class OntologySynonym(models.Model):
    """Labels and exact synonyms, normalised for name lookup (``diagnosis_terms``)."""

    curie = models.CharField(max_length=32)
    vocabulary = models.CharField(max_length=8, choices=Vocabulary.choices)
    text = models.CharField(max_length=500, db_index=True)
    is_label = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["vocabulary"])]

    def __str__(self) -> str:
        return f"{self.curie} {self.text}"
