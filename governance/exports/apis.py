"""Cohort export API (under /api/v1/exports). An export answers to its researcher alone:
everyone else, the DAC and stewards included, gets the same 404 as for a missing one."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.access.selectors import access_grant_get_for_user
from governance.exports import selectors, services
from governance.exports.models import COLUMNS, FORMATS
from governance.roles import HasRole, Role

_Researcher = HasRole.of(Role.RESEARCHER)


@extend_schema_serializer(component_name="CohortExport")
class ExportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant = serializers.IntegerField(source="grant_id")
    state = serializers.CharField()
    idempotency_key = serializers.CharField()
    criteria = serializers.JSONField()
    columns = serializers.ListField(child=serializers.CharField())
    formats = serializers.ListField(child=serializers.CharField())
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    percent = serializers.IntegerField()
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    subject_count = serializers.IntegerField(allow_null=True)
    k_achieved = serializers.IntegerField(allow_null=True)
    manifest_sha256 = serializers.CharField()
    files = serializers.JSONField()
    report = serializers.JSONField()
    failure_reason = serializers.CharField()


@extend_schema_serializer(component_name="CohortExportStatus")
class StatusOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField(source="is_terminal")
    failure_reason = serializers.CharField()


def _own_export(request, export_id):
    return selectors.cohort_export_get_for_user(user=request.user, export_id=export_id)


class CohortExportCreateApi(APIView):
    permission_classes = [_Researcher]

    @extend_schema_serializer(component_name="CohortExportCreateInput")
    class InputSerializer(serializers.Serializer):
        grant = serializers.IntegerField()
        criteria = serializers.JSONField(required=False, default=dict)
        columns = serializers.ListField(
            child=serializers.ChoiceField(choices=COLUMNS), required=False, allow_empty=True
        )
        formats = serializers.ListField(
            child=serializers.ChoiceField(choices=FORMATS), required=False, min_length=1
        )
        idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=64)

    OutputSerializer = ExportOutputSerializer

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 200: OutputSerializer},
        summary="Queue a de-identified cohort export under one of your active grants",
        description="The subject set is frozen by the consent gate when the export runs. "
        "Send the same `idempotency_key` (or `Idempotency-Key` header) to retry safely: "
        "the first export is returned (200) instead of a new one (201).",
        examples=[
            OpenApiExample(
                "Type 2 diabetes, women over 40, one region of chromosome 1",
                value={
                    "grant": 1,
                    "criteria": {
                        "diagnoses": ["MONDO:0005148"],
                        "sex": ["female"],
                        "min_age": 40,
                        "regions": ["1:10000-200000"],
                    },
                    "columns": ["age", "sex", "postcode_area", "diagnoses"],
                    "formats": ["csv", "parquet", "vcf"],
                    "idempotency_key": "2026-11-22-t2d-1",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        grant = access_grant_get_for_user(user=request.user, grant_id=values["grant"])
        key = values.get("idempotency_key") or request.headers.get("Idempotency-Key")
        repeated = selectors.cohort_export_exists(user=request.user, grant=grant, key=key)
        export = services.cohort_export_request(
            actor=request.user,
            grant=grant,
            criteria=values.get("criteria"),
            columns=values.get("columns"),
            formats=values.get("formats"),
            idempotency_key=key,
        )
        return Response(
            self.OutputSerializer(export).data,
            status=status.HTTP_200_OK if repeated else status.HTTP_201_CREATED,
        )


class CohortExportListApi(APIView):
    permission_classes = [_Researcher]
    OutputSerializer = ExportOutputSerializer

    @extend_schema(responses=OutputSerializer(many=True), summary="Your cohort exports")
    def get(self, request):
        exports = selectors.cohort_exports_of_researcher(user=request.user)[:200]
        return Response(self.OutputSerializer(exports, many=True).data)


class CohortExportDetailApi(APIView):
    permission_classes = [_Researcher]
    OutputSerializer = ExportOutputSerializer

    @extend_schema(responses=OutputSerializer, summary="One of your exports, with its report")
    def get(self, request, id: int):
        return Response(self.OutputSerializer(_own_export(request, id)).data)


class CohortExportStatusApi(APIView):
    permission_classes = [_Researcher]
    OutputSerializer = StatusOutputSerializer

    @extend_schema(responses=OutputSerializer, summary="Progress of one of your exports")
    def get(self, request, id: int):
        return Response(self.OutputSerializer(_own_export(request, id)).data)


class CohortExportCancelApi(APIView):
    permission_classes = [_Researcher]
    OutputSerializer = ExportOutputSerializer

    @extend_schema(
        request=None, responses=OutputSerializer, summary="Cancel a queued or running export"
    )
    def post(self, request, id: int):
        export = services.cohort_export_cancel(actor=request.user, export=_own_export(request, id))
        return Response(self.OutputSerializer(export).data)


class CohortExportFileApi(APIView):
    permission_classes = [_Researcher]

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file")},
        summary="Download one file of your succeeded export (audited)",
        description="Files: phenotypes.csv, phenotypes.parquet, genotypes.vcf.gz.c4gh "
        "(Crypt4GH, for your registered key), manifest.json and manifest.sig (Ed25519 over "
        "the manifest bytes; the key is in /.well-known/jwks.json under the manifest's kid).",
    )
    def get(self, request, id: int, name: str):
        export = _own_export(request, id)
        handle = services.cohort_export_file_open(actor=request.user, export=export, name=name)
        return FileResponse(
            handle, as_attachment=True, filename=name, content_type="application/octet-stream"
        )
