"""The proof API: inclusion and consistency proofs per RFC 9162, as hex.

Compliance officers may fetch any proof; a patient may fetch inclusion proofs only for
events about their own subject (any other event answers 404, like a missing one).
Fetching a proof is itself recorded in the ledger.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.ledger import services
from governance.ledger.selectors import audit_event_get_for_user
from governance.roles import HasRole, Role


class _CheckpointSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="hex SHA-256")
    created_at = serializers.CharField()
    note = serializers.CharField(help_text="C2SP signed-note checkpoint text")


class AuditInclusionProofApi(APIView):
    """Prove that event ``seq`` is in the ledger's Merkle tree of ``size`` events."""

    permission_classes = [HasRole.of(Role.COMPLIANCE_OFFICER, Role.PATIENT)]

    class InputSerializer(serializers.Serializer):
        seq = serializers.IntegerField(min_value=1)
        size = serializers.IntegerField(min_value=1, required=False)

    class OutputSerializer(serializers.Serializer):
        seq = serializers.IntegerField()
        leaf_index = serializers.IntegerField(help_text="seq - 1")
        tree_size = serializers.IntegerField()
        leaf = serializers.DictField(help_text="the leaf document; its canonical JSON is hashed")
        leaf_hash = serializers.CharField(help_text="hex SHA-256(0x00 || canonical JSON of leaf)")
        proof = serializers.ListField(
            child=serializers.CharField(), help_text="audit path, leaf to root, hex"
        )
        root_hash = serializers.CharField(help_text="hex root of the tree of tree_size events")
        checkpoint = _CheckpointSerializer(
            allow_null=True, help_text="the latest signed checkpoint"
        )

    @extend_schema(
        operation_id="audit_proof_inclusion",
        parameters=[
            OpenApiParameter("seq", int, required=True, description="the event's sequence number"),
            OpenApiParameter(
                "size",
                int,
                required=False,
                description="tree size; defaults to the latest checkpoint covering seq, else the current size",
            ),
        ],
        responses=OutputSerializer,
        description="RFC 9162 inclusion proof. 400 names a bad parameter; 404 for an event you may not see.",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        event = audit_event_get_for_user(user=request.user, seq=params.validated_data["seq"])
        bundle = services.inclusion_proof_issue(
            actor=request.user, event=event, size=params.validated_data.get("size")
        )
        return Response(self.OutputSerializer(bundle).data)


class AuditConsistencyProofApi(APIView):
    """Prove that the ledger's tree of ``from`` events is a prefix of its tree of ``to``."""

    permission_classes = [HasRole.of(Role.COMPLIANCE_OFFICER)]

    # "from" is a Python keyword, so the serializers are built with type().
    InputSerializer = type(
        "InputSerializer",
        (serializers.Serializer,),
        {
            "from": serializers.IntegerField(min_value=1),
            "to": serializers.IntegerField(min_value=1),
        },
    )
    OutputSerializer = type(
        "ConsistencyProofSerializer",
        (serializers.Serializer,),
        {
            "from": serializers.IntegerField(),
            "to": serializers.IntegerField(),
            "first_root": serializers.CharField(help_text="hex root of the tree of `from` events"),
            "second_root": serializers.CharField(help_text="hex root of the tree of `to` events"),
            "proof": serializers.ListField(child=serializers.CharField(), help_text="hex"),
            "checkpoint": _CheckpointSerializer(
                allow_null=True, help_text="the latest signed checkpoint"
            ),
        },
    )

    @extend_schema(
        operation_id="audit_proof_consistency",
        parameters=[
            OpenApiParameter("from", int, required=True, description="the smaller tree size"),
            OpenApiParameter("to", int, required=True, description="the larger tree size"),
        ],
        responses=OutputSerializer,
        description="RFC 9162 consistency proof between two tree sizes. 400 names a bad parameter.",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        bundle = services.consistency_proof_issue(
            actor=request.user,
            first=params.validated_data["from"],
            second=params.validated_data["to"],
        )
        return Response(self.OutputSerializer(bundle).data)
