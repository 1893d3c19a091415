"""Access request endpoints: the researcher's drafts and the DAC's review."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.access import selectors, services
from governance.access.apis.common import (
    REQUEST_EXAMPLE,
    Dac,
    ReasonSerializer,
    RequestInputSerializer,
    RequestOutputSerializer,
    Researcher,
    ResearcherOrDac,
)
from governance.access.models import CATEGORIES, RequestStatus


class AccessRequestListApi(APIView):
    """The caller's own access requests, newest first."""

    permission_classes = [Researcher]

    @extend_schema(responses=RequestOutputSerializer(many=True), tags=["access"])
    def get(self, request):
        return Response(
            RequestOutputSerializer(
                selectors.access_requests_of_researcher(user=request.user), many=True
            ).data
        )


class AccessRequestCreateApi(APIView):
    """Start a draft access request."""

    permission_classes = [Researcher]

    @extend_schema(
        request=RequestInputSerializer,
        responses={201: RequestOutputSerializer},
        examples=[REQUEST_EXAMPLE],
        tags=["access"],
    )
    def post(self, request):
        data = RequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.access_request_create(actor=request.user, **data.validated_data)
        return Response(RequestOutputSerializer(created).data, status=status.HTTP_201_CREATED)


class AccessRequestDetailApi(APIView):
    """One request: its requester, or (once submitted) a DAC member, may read it."""

    permission_classes = [ResearcherOrDac]

    @extend_schema(responses=RequestOutputSerializer, tags=["access"])
    def get(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        return Response(RequestOutputSerializer(found).data)


class AccessRequestUpdateApi(APIView):
    """Replace a draft's details (title, purpose, categories, cohort, ethics reference)."""

    permission_classes = [Researcher]

    @extend_schema(
        request=RequestInputSerializer,
        responses=RequestOutputSerializer,
        examples=[REQUEST_EXAMPLE],
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

    permission_classes = [ResearcherOrDac]

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

    permission_classes = [Researcher]
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

    permission_classes = [Researcher]

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

    permission_classes = [Researcher]

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

    permission_classes = [Dac]

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

    permission_classes = [Dac]

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


class AccessRequestRejectApi(APIView):
    """DAC: reject a submitted request, with a reason the researcher sees."""

    permission_classes = [Dac]

    @extend_schema(request=ReasonSerializer, responses=RequestOutputSerializer, tags=["access"])
    def post(self, request, id):
        found = selectors.access_request_get_for_user(user=request.user, request_id=id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.access_request_reject(
            actor=request.user, request=found, reason=data.validated_data["reason"]
        )
        return Response(RequestOutputSerializer(updated).data)
