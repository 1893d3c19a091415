"""The gate's API: DUO matching as decision support."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from consent.duo import DataUse
from governance.gate.matcher import match
from governance.gate.purpose import Purpose

_REQUEST_EXAMPLE = {
    "data_use": {
        "permission": "DUO:0000007",
        "diseases": ["MONDO:0005015"],
        "modifiers": ["DUO:0000045", "DUO:0000022"],
        "countries": ["ES"],
    },
    "purpose": {
        "category": "DUO:0000007",
        "diseases": ["MONDO:0005148"],
        "genetic_study": True,
        "not_for_profit": True,
        "country": "ES",
        "ethics_approval": True,
        "publication": True,
        "date": "2026-11-22",
    },
}
_RESPONSE_EXAMPLE = {
    "result": "permit",
    "reasons": [
        {
            "code": "DUO:0000007",
            "term": "DS",
            "outcome": "permit",
            "message": "MONDO:0005148 lies under consented MONDO:0005015.",
        },
        {
            "code": "DUO:0000045",
            "term": "NPU",
            "outcome": "permit",
            "message": "Not-for-profit use only: the purpose is not-for-profit.",
        },
        {
            "code": "DUO:0000022",
            "term": "GS",
            "outcome": "permit",
            "message": "Use is limited to ES; the purpose is in ES.",
        },
    ],
}
_ERROR_EXAMPLE = {
    "code": "validation_failed",
    "message": "data_use.modifiers[1]: DUO:0000005 is obsolete (GRU-CC)",
    "extra": {},
}


class DuoMatchApi(APIView):
    """Would this research purpose be permitted under these DUO data-use terms?

    Decision support only: it reads no subject and grants nothing. The answer is
    ``permit``, ``deny`` or ``review`` (a person must judge, e.g. a free-text RS
    restriction), with one reason per DUO term consulted.
    """

    class InputSerializer(serializers.Serializer):
        data_use = serializers.JSONField(
            help_text="DUO data-use terms: permission, diseases, modifiers and their parameters."
        )
        purpose = serializers.JSONField(help_text="The coded research purpose.")

    class OutputSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=["permit", "deny", "review"])
        reasons = serializers.ListField(
            child=serializers.DictField(), help_text="code, term, outcome, message"
        )

    @extend_schema(
        operation_id="duo_match",
        request=InputSerializer,
        responses={200: OutputSerializer},
        examples=[
            OpenApiExample("Disease-specific purpose", value=_REQUEST_EXAMPLE, request_only=True),
            OpenApiExample(
                "Permitted", value=_RESPONSE_EXAMPLE, response_only=True, status_codes=["200"]
            ),
            OpenApiExample(
                "Obsolete term", value=_ERROR_EXAMPLE, response_only=True, status_codes=["400"]
            ),
        ],
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data_use = DataUse.from_dict(serializer.validated_data["data_use"])
        purpose = Purpose.from_dict(serializer.validated_data["purpose"])
        result = match(data_use, purpose)
        payload = {
            "result": result.result,
            "reasons": [
                {**check.reason.as_dict(), "outcome": check.outcome} for check in result.checks
            ],
        }
        return Response(self.OutputSerializer(payload).data, status=status.HTTP_200_OK)
