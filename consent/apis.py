"""The consent API: subjects and consent versions for stewards, FHIR Consent, receipts.

Thin views: validate input, call a service or selector, serialise. A subject or version
the caller may not see answers exactly like a missing one (404). Lists never carry
direct identifiers; ``GET subjects/<code>?include=identifiers`` decrypts them as an
audited read.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from consent import services
from consent.fhir.document import FhirVersion
from consent.fhir.service import fhir_consent_export, fhir_consent_get_for_user, fhir_consent_import
from consent.models import ConsentEvent, ConsentStatus, RecordedVia, Sex
from consent.receipts import receipt_verify
from consent.selectors import (
    consent_get_for_user,
    consent_list,
    subject_get_for_user,
    subject_identifiers,
    subject_list,
)
from governance.errors import ValidationFailed
from governance.roles import HasRole, Role

STEWARD = [HasRole.of(Role.DATA_STEWARD)]
_MAX_PAGE = 500


def _page(request, qs):
    try:
        limit = min(max(int(request.query_params.get("limit", 100)), 1), _MAX_PAGE)
        offset = max(int(request.query_params.get("offset", 0)), 0)
    except ValueError:
        raise ValidationFailed("limit/offset: expected whole numbers") from None
    return qs.count(), list(qs[offset : offset + limit])


class ConsentOutputSerializer(serializers.Serializer):
    subject = serializers.CharField(source="subject.code")
    version = serializers.IntegerField()
    event = serializers.CharField()
    status = serializers.CharField()
    permission = serializers.CharField()
    diseases = serializers.ListField(child=serializers.CharField())
    modifiers = serializers.ListField(child=serializers.CharField(), source="modifier_list")
    countries = serializers.ListField(child=serializers.CharField())
    months = serializers.IntegerField(allow_null=True)
    start = serializers.DateField(source="use_start", allow_null=True)
    moratorium = serializers.DateField(allow_null=True)
    users = serializers.ListField(child=serializers.CharField())
    projects = serializers.ListField(child=serializers.CharField())
    institutions = serializers.ListField(child=serializers.CharField())
    restriction_text = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    recorded_via = serializers.CharField()
    text_version = serializers.CharField()
    text_digest = serializers.CharField()
    receipt = serializers.CharField()


class SubjectOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    sex = serializers.CharField()
    birth_year = serializers.SerializerMethodField()
    ethnic_background = serializers.CharField()
    sample_id = serializers.CharField()
    linked = serializers.SerializerMethodField()
    consent_status = serializers.SerializerMethodField()
    consent_version = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_birth_year(self, subject) -> int | None:
        return subject.birth_date.year if subject.birth_date else None

    def get_linked(self, subject) -> bool:
        return subject.user_id is not None

    def get_consent_status(self, subject) -> str:
        return subject.current_consent.status if subject.current_consent_id else "none"

    def get_consent_version(self, subject) -> int | None:
        return subject.current_consent.version if subject.current_consent_id else None


class SubjectListApi(APIView):
    """Subjects, filtered; quasi-identifiers and consent state only, never identifiers."""

    permission_classes = STEWARD

    class FilterSerializer(serializers.Serializer):
        sex = serializers.ChoiceField(choices=Sex.values, required=False)
        status = serializers.ChoiceField(choices=[*ConsentStatus.values, "none"], required=False)
        permission = serializers.CharField(required=False, max_length=16)
        diagnosis = serializers.CharField(required=False, max_length=32)
        linked = serializers.BooleanField(required=False, allow_null=True, default=None)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        results = SubjectOutputSerializer(many=True)

    @extend_schema(
        parameters=[
            FilterSerializer,
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=OutputSerializer,
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        count, rows = _page(request, subject_list(**filters.validated_data))
        return Response(self.OutputSerializer({"count": count, "results": rows}).data)


class SubjectCreateApi(APIView):
    """Register a subject; identifiers are encrypted and never returned."""

    permission_classes = STEWARD

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        email = serializers.EmailField()
        mrn = serializers.CharField(max_length=64)
        birth_date = serializers.DateField(required=False, allow_null=True, default=None)
        sex = serializers.ChoiceField(choices=Sex.values, default=Sex.UNKNOWN)
        postcode = serializers.CharField(
            max_length=10, required=False, allow_blank=True, default=""
        )
        ethnic_background = serializers.CharField(
            max_length=64, required=False, allow_blank=True, default=""
        )
        sample_id = serializers.CharField(
            max_length=32, required=False, allow_blank=True, default=""
        )
        diagnoses = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, default=list
        )

    @extend_schema(request=InputSerializer, responses={201: SubjectOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = services.subject_create(actor=request.user, **data.validated_data)
        return Response(SubjectOutputSerializer(subject).data, status=status.HTTP_201_CREATED)


class SubjectDetailApi(APIView):
    """One subject; ``?include=identifiers`` decrypts name, email and MRN (audited)."""

    permission_classes = STEWARD

    class OutputSerializer(SubjectOutputSerializer):
        diagnoses = serializers.SerializerMethodField()
        identifiers = serializers.DictField(child=serializers.CharField(), required=False)

        def get_diagnoses(self, subject) -> list[str]:
            return sorted(subject.diagnoses.values_list("term", flat=True))

    @extend_schema(
        parameters=[OpenApiParameter("include", str, enum=["identifiers"])],
        responses=OutputSerializer,
    )
    def get(self, request, code: str):
        subject = subject_get_for_user(user=request.user, code=code)
        data = self.OutputSerializer(subject).data
        if request.query_params.get("include") == "identifiers":
            data["identifiers"] = subject_identifiers(
                subject, actor=request.user, purpose="steward_api"
            )
        return Response(data)


class ConsentCreateVersionApi(APIView):
    """Record a new consent version for a subject: grant, amend or withdraw. Versions are
    never edited; each call adds one."""

    permission_classes = STEWARD

    class InputSerializer(serializers.Serializer):
        event = serializers.ChoiceField(choices=ConsentEvent.values)
        via = serializers.ChoiceField(
            choices=[RecordedVia.STAFF, RecordedVia.API], default=RecordedVia.API
        )
        data_use = serializers.DictField(required=False)
        categories = serializers.ListField(child=serializers.CharField(), required=False)
        valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
        text_version = serializers.CharField(required=False, max_length=32)

    @extend_schema(request=InputSerializer, responses={201: ConsentOutputSerializer})
    def post(self, request, code: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = data.validated_data
        subject = subject_get_for_user(user=request.user, code=code)
        if args["event"] == ConsentEvent.WITHDRAW:
            record = services.consent_withdraw(actor=request.user, subject=subject, via=args["via"])
        else:
            if "data_use" not in args:
                raise ValidationFailed("data_use: required to grant or amend")
            write = (
                services.consent_grant
                if args["event"] == ConsentEvent.GRANT
                else services.consent_amend
            )
            extra = {"text_version": args["text_version"]} if args.get("text_version") else {}
            record = write(
                actor=request.user,
                subject=subject,
                data_use=args["data_use"],
                categories=args.get("categories", []),
                via=args["via"],
                valid_until=args["valid_until"],
                **extra,
            )
        return Response(ConsentOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class ConsentListApi(APIView):
    """Consent versions, filtered (``current=true`` keeps each subject's current one)."""

    permission_classes = STEWARD

    class FilterSerializer(serializers.Serializer):
        subject = serializers.CharField(required=False, max_length=16)
        status = serializers.ChoiceField(choices=ConsentStatus.values, required=False)
        event = serializers.ChoiceField(choices=ConsentEvent.values, required=False)
        permission = serializers.CharField(required=False, max_length=16)
        via = serializers.ChoiceField(choices=RecordedVia.values, required=False)
        current = serializers.BooleanField(required=False, default=False)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        results = ConsentOutputSerializer(many=True)

    @extend_schema(
        parameters=[
            FilterSerializer,
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=OutputSerializer,
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = consent_list(
            subject_code=f.get("subject"), status=f.get("status"), event=f.get("event"),
            permission=f.get("permission"), via=f.get("via"), current_only=f.get("current", False),
        )  # fmt: skip
        count, rows = _page(request, qs)
        return Response(self.OutputSerializer({"count": count, "results": rows}).data)


class ConsentDetailApi(APIView):
    """One version of a subject's consent, with its receipt."""

    permission_classes = STEWARD

    @extend_schema(responses=ConsentOutputSerializer)
    def get(self, request, code: str, version: int):
        record = consent_get_for_user(user=request.user, code=code, version=version)
        services.consent_version_read(actor=request.user, record=record)
        return Response(ConsentOutputSerializer(record).data)


class FhirConsentReadApi(APIView):
    """A consent version as an HL7 FHIR Consent (``?fhir=r4`` for R4/R4B, default R5)."""

    permission_classes = STEWARD

    @extend_schema(
        parameters=[OpenApiParameter("fhir", str, enum=["r4", "r5"])],
        responses={
            200: inline_serializer("FhirConsent", {"resourceType": serializers.CharField()})
        },
    )
    def get(self, request, id: str):  # noqa: A002 - the FHIR logical id
        version = request.query_params.get("fhir", FhirVersion.R5)
        if version not in FhirVersion.__members__.values():
            raise ValidationFailed("fhir: expected r4 or r5")
        record = fhir_consent_get_for_user(user=request.user, resource_id=id)
        resource = fhir_consent_export(actor=request.user, record=record, version=version)
        return Response(resource, content_type="application/fhir+json")


class FhirConsentImportApi(APIView):
    """Import a FHIR Consent (R4/R4B or R5) as a new consent version of its subject.
    Resources that cannot be represented faithfully are refused (400) with the FHIRPath
    of the offending element in ``extra.fhirpath``; nothing is stored."""

    permission_classes = STEWARD

    @extend_schema(
        request=inline_serializer("FhirConsentIn", {"resourceType": serializers.CharField()}),
        parameters=[OpenApiParameter("fhir", str, enum=["r4", "r5"])],
        responses={201: ConsentOutputSerializer},
    )
    def post(self, request):
        version = request.query_params.get("fhir") or None
        if version is not None and version not in FhirVersion.__members__.values():
            raise ValidationFailed("fhir: expected r4 or r5")
        record = fhir_consent_import(actor=request.user, resource=request.data, version=version)
        return Response(ConsentOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class ReceiptVerifyApi(APIView):
    """Verify a consent receipt's signature against the platform key; returns its claims.
    Any failure is the same opaque ``receipt_invalid`` error."""

    class InputSerializer(serializers.Serializer):
        receipt = serializers.CharField(max_length=20000)

    class OutputSerializer(serializers.Serializer):
        valid = serializers.BooleanField()
        claims = serializers.DictField()
        checked_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claims = receipt_verify(data.validated_data["receipt"])
        return Response(
            self.OutputSerializer(
                {"valid": True, "claims": claims, "checked_at": timezone.now()}
            ).data
        )
