"""Access governance API (under /api/v1/access/) and the GA4GH Passport visas endpoint.

Researcher-owned objects answer 404 to everyone else; DAC actions are DAC-only. Each
view validates, calls one service or selector and serialises the result.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from genomics.crypt4gh import public_key_pem
from governance.access import selectors, services
from governance.access.models import CATEGORIES, RequestStatus
from governance.access.visas import passport_visas_for_user
from governance.errors import NotFound
from governance.roles import HasRole, Role, has_role

_Researcher = HasRole.of(Role.RESEARCHER)
_Dac = HasRole.of(Role.DAC_MEMBER)
_ResearcherOrDac = HasRole.of(Role.RESEARCHER, Role.DAC_MEMBER)

_PURPOSE_EXAMPLE = {
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


_REQUEST_EXAMPLE = OpenApiExample(
    "Health research on type 2 diabetes patients",
    value={
        "title": "Glycaemic traits",
        "purpose": _PURPOSE_EXAMPLE,
        "categories": ["genomic", "clinical"],
        "cohort": {"diagnoses": ["MONDO:0005148"], "min_age": 18},
        "ethics_reference": "REC 24/EE/0001",
    },
    request_only=True,
)


class ResearcherKeyRegisterApi(APIView):
    """Register the caller's Crypt4GH public key; the previous key is deactivated."""

    permission_classes = [_Researcher]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ResearcherKeyRegisterInput"

        public_key = serializers.CharField(
            max_length=4096,
            trim_whitespace=False,
            help_text="-----BEGIN CRYPT4GH PUBLIC KEY----- ... block",
        )

    @extend_schema(request=InputSerializer, responses={201: KeyOutputSerializer}, tags=["access"])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = services.researcher_key_register(
            actor=request.user, public_key_pem=data.validated_data["public_key"]
        )
        return Response(KeyOutputSerializer(key).data, status=status.HTTP_201_CREATED)


class ResearcherKeyActiveApi(APIView):
    """The caller's active Crypt4GH public key (404 when none is registered)."""

    permission_classes = [_Researcher]

    @extend_schema(responses=KeyOutputSerializer, tags=["access"])
    def get(self, request):
        key = selectors.researcher_key_active(user=request.user)
        if key is None:
            raise NotFound("No Crypt4GH public key is registered.")
        return Response(KeyOutputSerializer(key).data)


class AccessRequestListApi(APIView):
    """The caller's own access requests, newest first."""

    permission_classes = [_Researcher]

    @extend_schema(responses=RequestOutputSerializer(many=True), tags=["access"])
    def get(self, request):
        return Response(
            RequestOutputSerializer(
                selectors.access_requests_of_researcher(user=request.user), many=True
            ).data
        )


class AccessRequestCreateApi(APIView):
    """Start a draft access request."""

    permission_classes = [_Researcher]

    @extend_schema(
        request=RequestInputSerializer,
        responses={201: RequestOutputSerializer},
        examples=[_REQUEST_EXAMPLE],
        tags=["access"],
    )
    def post(self, request):
        data = RequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.access_request_create(actor=request.user, **data.validated_data)
        return Response(RequestOutputSerializer(created).data, status=status.HTTP_201_CREATED)


class AccessRequestDetailApi(APIView):
    """One request: its requester, or (once submitted) a DAC member, may read it."""

    permission_classes = [_ResearcherOrDac]

    @extend_schema(responses=RequestOutputSerializer, tags=["access"])
    def get(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        return Response(RequestOutputSerializer(found).data)


class AccessRequestUpdateApi(APIView):
    """Replace a draft's details (title, purpose, categories, cohort, ethics reference)."""

    permission_classes = [_Researcher]

    @extend_schema(
        request=RequestInputSerializer,
        responses=RequestOutputSerializer,
        examples=[_REQUEST_EXAMPLE],
        tags=["access"],
    )
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        data = RequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.access_request_update(
            actor=request.user, request=found, **data.validated_data
        )
        return Response(RequestOutputSerializer(updated).data)


class AccessRequestEligibilityApi(APIView):
    """How many subjects the request would cover now: rounded down to the nearest 10,
    or "fewer than 10"; never an exact small count."""

    permission_classes = [_ResearcherOrDac]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccessRequestEligibilityOutput"

        lower_bound = serializers.IntegerField(
            help_text="0 when fewer than 10; else a multiple of 10"
        )
        display = serializers.CharField()

    @extend_schema(responses=OutputSerializer, tags=["access"])
    def get(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        return Response(
            self.OutputSerializer(selectors.access_request_eligibility(request=found)).data
        )


class AccessRequestEthicsAttachApi(APIView):
    """Attach the ethics approval to a draft: a PDF or UTF-8 text file (multipart field
    ``document``), at most 5 MiB. It is stored by its SHA-256."""

    permission_classes = [_Researcher]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccessRequestEthicsAttachInput"

        document = serializers.FileField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses=RequestOutputSerializer,
        tags=["access"],
    )
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.access_request_attach_ethics(
            actor=request.user, request=found, document=data.validated_data["document"]
        )
        return Response(RequestOutputSerializer(updated).data)


class AccessRequestSubmitApi(APIView):
    """Send a draft to the DAC."""

    permission_classes = [_Researcher]

    @extend_schema(request=None, responses=RequestOutputSerializer, tags=["access"])
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        return Response(
            RequestOutputSerializer(
                services.access_request_submit(actor=request.user, request=found)
            ).data
        )


class AccessRequestWithdrawApi(APIView):
    """The requester withdraws a submitted request."""

    permission_classes = [_Researcher]

    @extend_schema(request=None, responses=RequestOutputSerializer, tags=["access"])
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        return Response(
            RequestOutputSerializer(
                services.access_request_withdraw(actor=request.user, request=found)
            ).data
        )


class AccessRequestQueueApi(APIView):
    """DAC: requests awaiting review, oldest first."""

    permission_classes = [_Dac]

    @extend_schema(responses=RequestOutputSerializer(many=True), tags=["access"])
    def get(self, request):
        return Response(
            RequestOutputSerializer(
                selectors.access_requests_for_dac(status=RequestStatus.SUBMITTED), many=True
            ).data
        )


class AccessRequestApproveApi(APIView):
    """DAC: approve with conditions. Two distinct members (neither the requester) must
    approve; the second approval creates the grant under the stricter conditions."""

    permission_classes = [_Dac]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccessRequestApproveInput"

        expires_at = serializers.DateTimeField()
        k = serializers.IntegerField(min_value=5)
        categories = serializers.ListField(
            child=serializers.ChoiceField(choices=CATEGORIES), required=False
        )
        l_diversity = serializers.IntegerField(min_value=2, required=False, allow_null=True)
        sensitive_column = serializers.CharField(required=False, allow_blank=True, max_length=40)

    @extend_schema(
        request=InputSerializer,
        responses=RequestOutputSerializer,
        tags=["access"],
        examples=[
            OpenApiExample(
                "One year, k=5",
                request_only=True,
                value={"expires_at": "2027-11-22T00:00:00Z", "k": 5, "categories": ["genomic"]},
            )
        ],
    )
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.access_request_approve(
            actor=request.user, request=found, conditions=dict(data.validated_data)
        )
        return Response(RequestOutputSerializer(updated).data)


class _ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AccessRequestRejectApi(APIView):
    """DAC: reject a submitted request, with a reason the researcher sees."""

    permission_classes = [_Dac]

    @extend_schema(request=_ReasonSerializer, responses=RequestOutputSerializer, tags=["access"])
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        data = _ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.access_request_reject(
            actor=request.user, request=found, reason=data.validated_data["reason"]
        )
        return Response(RequestOutputSerializer(updated).data)


class AccessGrantListApi(APIView):
    """A researcher's own grants; every grant for a DAC member."""

    permission_classes = [_ResearcherOrDac]

    @extend_schema(responses=GrantOutputSerializer(many=True), tags=["access"])
    def get(self, request):
        grants = (
            selectors.access_grants_for_dac()
            if has_role(request.user, Role.DAC_MEMBER)
            else selectors.access_grants_of_researcher(user=request.user)
        )
        return Response(GrantOutputSerializer(grants, many=True).data)


class AccessGrantDetailApi(APIView):
    """One grant: its researcher or a DAC member."""

    permission_classes = [_ResearcherOrDac]

    @extend_schema(responses=GrantOutputSerializer, tags=["access"])
    def get(self, request, id):
        return Response(
            GrantOutputSerializer(
                selectors.access_grant_get_for_user(user=request.user, grant_id=id)
            ).data
        )


class AccessGrantRevokeApi(APIView):
    """DAC: revoke a grant, effective immediately."""

    permission_classes = [_Dac]

    @extend_schema(request=_ReasonSerializer, responses=GrantOutputSerializer, tags=["access"])
    def post(self, request, id):
        grant = selectors.access_grant_get_for_user(user=request.user, grant_id=id)
        data = _ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = services.access_grant_revoke(
            actor=request.user, grant=grant, reason=data.validated_data["reason"]
        )
        return Response(GrantOutputSerializer(revoked).data)


class PassportVisasApi(APIView):
    """GA4GH Passport: a signed ControlledAccessGrants visa (JWT, ES256) for each of the
    caller's active grants. Verify them with the keys at /.well-known/jwks.json."""

    permission_classes = [_Researcher]

    @extend_schema(
        responses=inline_serializer(
            "PassportVisas",
            {"ga4gh_passport_v1": serializers.ListField(child=serializers.CharField())},
        ),
        tags=["ga4gh"],
    )
    def get(self, request):
        response = Response({"ga4gh_passport_v1": passport_visas_for_user(user=request.user)})
        response["Cache-Control"] = "no-store"
        return response
