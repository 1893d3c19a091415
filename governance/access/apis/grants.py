"""Researcher keys, grants and the GA4GH Passport visas endpoint."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.access import selectors, services
from governance.access.apis.common import (
    Dac,
    GrantOutputSerializer,
    KeyOutputSerializer,
    ReasonSerializer,
    Researcher,
    ResearcherOrDac,
)
from governance.access.visas import passport_visas_for_user
from governance.errors import NotFound
from governance.roles import Role, has_role


class ResearcherKeyRegisterApi(APIView):
    """Register the caller's Crypt4GH public key; the previous key is deactivated."""

    permission_classes = [Researcher]

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

    permission_classes = [Researcher]

    @extend_schema(responses=KeyOutputSerializer, tags=["access"])
    def get(self, request):
        key = selectors.researcher_key_active(user=request.user)
        if key is None:
            raise NotFound("No Crypt4GH public key is registered.")
        return Response(KeyOutputSerializer(key).data)


class AccessGrantListApi(APIView):
    """A researcher's own grants; every grant for a DAC member."""

    permission_classes = [ResearcherOrDac]

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

    permission_classes = [ResearcherOrDac]

    @extend_schema(responses=GrantOutputSerializer, tags=["access"])
    def get(self, request, id):
        return Response(
            GrantOutputSerializer(
                selectors.access_grant_get_for_user(user=request.user, grant_id=id)
            ).data
        )


class AccessGrantRevokeApi(APIView):
    """DAC: revoke a grant, effective immediately."""

    permission_classes = [Dac]

    @extend_schema(request=ReasonSerializer, responses=GrantOutputSerializer, tags=["access"])
    def post(self, request, id):
        grant = selectors.access_grant_get_for_user(user=request.user, grant_id=id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revoked = services.access_grant_revoke(
            actor=request.user, grant=grant, reason=data.validated_data["reason"]
        )
        return Response(GrantOutputSerializer(revoked).data)


class PassportVisasApi(APIView):
    """GA4GH Passport: a signed ControlledAccessGrants visa (JWT, ES256) for each of the
    caller's active grants. Verify them with the keys at /.well-known/jwks.json."""

    permission_classes = [Researcher]

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
