"""Shared permissions and serializers of the access API."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from genomics.crypt4gh import public_key_pem
from governance.access.models import CATEGORIES
from governance.roles import HasRole, Role

Researcher = HasRole.of(Role.RESEARCHER)
Dac = HasRole.of(Role.DAC_MEMBER)
ResearcherOrDac = HasRole.of(Role.RESEARCHER, Role.DAC_MEMBER)

PURPOSE_EXAMPLE = {
    "category": "DUO:0000006",
    "not_for_profit": True,
    "genetic_study": True,
    "country": "GB",
}


class KeyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fingerprint = serializers.CharField()
    public_key = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_public_key(self, key) -> str:
        return public_key_pem(key.public_key_bytes)


class ApprovalOutputSerializer(serializers.Serializer):
    member = serializers.CharField(source="member.username")
    conditions = serializers.JSONField()
    created_at = serializers.DateTimeField()


class RequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    requester = serializers.CharField(source="requester.username")
    purpose = serializers.JSONField(source="purpose_data")
    categories = serializers.ListField(child=serializers.CharField())
    cohort = serializers.JSONField()
    ethics_reference = serializers.CharField()
    ethics_sha256 = serializers.CharField()
    ethics_media_type = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    approvals = ApprovalOutputSerializer(many=True)


class GrantOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="request_id")
    researcher = serializers.CharField(source="researcher.username")
    purpose = serializers.JSONField(source="purpose_data")
    purpose_id = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    cohort = serializers.JSONField()
    k = serializers.IntegerField()
    l_diversity = serializers.IntegerField(allow_null=True)
    sensitive_column = serializers.CharField()
    status = serializers.CharField()
    active = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)

    def get_active(self, grant) -> bool:
        return grant.is_active(timezone.now())


class RequestInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    purpose = serializers.JSONField(help_text="A research purpose (see /api/v1/duo/match).")
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=CATEGORIES), min_length=1
    )
    cohort = serializers.JSONField(
        required=False,
        default=dict,
        help_text='Optional criteria: {"diagnoses": [CURIE], "regions": [postcode area], '
        '"sex": ["female"|"male"|"other"|"unknown"], "min_age": int, "max_age": int}',
    )
    ethics_reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )


REQUEST_EXAMPLE = OpenApiExample(
    "Health research on type 2 diabetes patients",
    value={
        "title": "Glycaemic traits",
        "purpose": PURPOSE_EXAMPLE,
        "categories": ["genomic", "clinical"],
        "cohort": {"diagnoses": ["MONDO:0005148"], "min_age": 18},
        "ethics_reference": "REC 24/EE/0001",
    },
    request_only=True,
)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
