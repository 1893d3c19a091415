"""Genomic vault API for data stewards (under /api/v1/): ingest and file listing.

Everyone else gets the same 404 as for a missing file. Each view validates its input,
calls one service or selector and serialises the result.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from genomics import selectors
from genomics.services import genomic_file_ingest, sample_map_parse
from genomics.services.ingest import ASSEMBLIES
from genomics.uploads import check_upload_limit, install_upload_limit
from governance.errors import ValidationFailed
from governance.roles import HasRole, Role

_Steward = HasRole.of(Role.DATA_STEWARD)


class GenomicFileOutputSerializer(serializers.Serializer):
    file_id = serializers.UUIDField()
    subject = serializers.CharField(source="subject.code")
    state = serializers.CharField()
    assembly = serializers.CharField()
    plaintext_sha256 = serializers.CharField()
    plaintext_size = serializers.IntegerField()
    ciphertext_size = serializers.IntegerField()
    record_count = serializers.IntegerField()
    variant_count = serializers.IntegerField()
    source_record_count = serializers.IntegerField()
    ingest_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    erased_at = serializers.DateTimeField(allow_null=True)


class GenomicFileIngestApi(APIView):
    """Upload a VCF (plain or bgzip, VCF 4.1-4.4) for one subject or, with a sample map, many.

    The body is multipart: ``file``, then ``subject`` (a subject code, single-sample
    files) or ``sample_map`` (TSV text: sample ID, tab, subject code; samples not in the
    map are skipped), and optionally ``assembly``. Uploads stream to disk and stop at
    ``HELIX_MAX_UPLOAD_BYTES`` (413). A bad file stores nothing: 400 with the first
    problem and its line in ``extra.line``.
    """

    permission_classes = [_Steward]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        subject = serializers.CharField(required=False, max_length=16)
        sample_map = serializers.CharField(
            required=False, max_length=1_000_000, trim_whitespace=False
        )
        assembly = serializers.ChoiceField(choices=ASSEMBLIES, required=False)

        def validate(self, attrs):
            if ("subject" in attrs) == ("sample_map" in attrs):
                raise serializers.ValidationError("Give exactly one of subject or sample_map.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        ingest_id = serializers.CharField()
        mode = serializers.CharField()
        assembly = serializers.CharField()
        source_sha256 = serializers.CharField()
        source_records = serializers.IntegerField()
        samples = serializers.IntegerField()
        samples_skipped = serializers.IntegerField()
        files = serializers.ListField(child=serializers.DictField())
        seconds = serializers.DictField(child=serializers.FloatField())

    def initial(self, request, *args, **kwargs):
        # Before authentication and parsing touch the body.
        self._upload = install_upload_limit(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={201: OutputSerializer}
    )
    def post(self, request):
        data = request.data
        check_upload_limit(self._upload)
        serializer = self.InputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        mapping = sample_map_parse(values["sample_map"]) if "sample_map" in values else None
        upload = values["file"]
        try:
            summary = genomic_file_ingest(
                actor=request.user,
                fileobj=upload.open("rb"),
                subject=values.get("subject"),
                sample_map=mapping,
                assembly=values.get("assembly"),
            )
        finally:
            upload.close()
        return Response(
            self.OutputSerializer(summary.as_dict()).data, status=status.HTTP_201_CREATED
        )


class GenomicFileListApi(APIView):
    """Stored files, newest first; ``?subject=CODE`` for one subject."""

    permission_classes = [_Steward]

    @extend_schema(
        responses=inline_serializer(
            "GenomicFileList", {"files": GenomicFileOutputSerializer(many=True)}
        ),
    )
    def get(self, request):
        code = request.query_params.get("subject", "").strip()
        if len(code) > 16:
            raise ValidationFailed("subject: not a subject code.")
        files = selectors.genomic_file_list_for_user(user=request.user, subject_code=code or None)[
            :1000
        ]
        return Response({"files": GenomicFileOutputSerializer(files, many=True).data})


class GenomicFileDetailApi(APIView):
    """One stored file's metadata (never its contents)."""

    permission_classes = [_Steward]

    @extend_schema(responses=GenomicFileOutputSerializer)
    def get(self, request, file_id):
        found = selectors.genomic_file_get_for_user(user=request.user, file_id=file_id)
        return Response(GenomicFileOutputSerializer(found).data)
