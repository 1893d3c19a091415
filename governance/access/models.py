"""Researcher keys, access requests, DAC votes and the grants they lead to."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from governance.gate.purpose import Purpose

CATEGORY_CHOICES = (
    ("genomic", "Genomic"),
    ("clinical", "Clinical"),
    ("demographic", "Demographic"),
)
CATEGORIES = tuple(code for code, _ in CATEGORY_CHOICES)


class ResearcherKey(models.Model):
    """A researcher's registered Crypt4GH (X25519) public key; exports are encrypted to it.

    At most one key per researcher is active; registering a new one deactivates the old,
    which stays on record so past exports remain attributable to the key they used.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="researcher_keys"
    )
    public_key = models.BinaryField()
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the raw 32-byte key, hex
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_active=True),
                name="one_active_researcher_key",
            ),
        ]

    def __str__(self) -> str:
        return f"key {self.fingerprint[:16]}"

    @property
    def public_key_bytes(self) -> bytes:
        return bytes(self.public_key)


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The only moves a request can make. Everything else raises InvalidTransition.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.DRAFT: frozenset({RequestStatus.SUBMITTED}),
    RequestStatus.SUBMITTED: frozenset(
        {RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN}
    ),
    RequestStatus.APPROVED: frozenset(),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
}

APPROVALS_REQUIRED = 2


class AccessRequest(models.Model):
    """A researcher's request for a cohort, for a coded research purpose.

    ``purpose_data`` holds the research-purpose JSON (``governance.gate.purpose``), and
    ``cohort`` the validated cohort criteria (``governance.access.cohort``).
    """

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    title = models.CharField(max_length=200)
    purpose_data = models.JSONField()
    categories = models.JSONField()
    cohort = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    ethics_reference = models.CharField(max_length=100, blank=True)
    ethics_sha256 = models.CharField(max_length=64, blank=True)
    ethics_media_type = models.CharField(max_length=32, blank=True)
    ethics_size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in RequestStatus]),
                name="access_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"request {self.pk} {self.status}"

    @property
    def purpose(self) -> Purpose:
        return Purpose.from_dict(self.purpose_data)

    @property
    def purpose_id(self) -> str:
        return f"request:{self.pk}"

    @property
    def has_ethics_document(self) -> bool:
        return bool(self.ethics_sha256)


class AccessRequestApproval(models.Model):
    """One DAC member's approval vote, with the conditions that member set."""

    request = models.ForeignKey(AccessRequest, on_delete=models.PROTECT, related_name="approvals")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    conditions = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "member"], name="one_approval_per_member"),
        ]

    def __str__(self) -> str:
        return f"approval of request {self.request_id} by {self.member_id}"


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


GRANT_TRANSITIONS: dict[str, frozenset[str]] = {
    GrantStatus.ACTIVE: frozenset({GrantStatus.REVOKED, GrantStatus.EXPIRED}),
    GrantStatus.REVOKED: frozenset(),
    GrantStatus.EXPIRED: frozenset(),
}


class AccessGrant(models.Model):
    """The DAC's approval of a request, with conditions. Exports run under a grant.

    A grant is usable only while ``is_active(at)``: its status is active *and* its
    expiry lies in the future, so expiry takes effect on its own even before the sweep
    (``access_grants_expire``) records it. Revocation is immediate.
    """

    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    purpose_data = models.JSONField()
    categories = models.JSONField()
    cohort = models.JSONField(default=dict, blank=True)
    k = models.PositiveSmallIntegerField()
    l_diversity = models.PositiveSmallIntegerField(null=True, blank=True)
    sensitive_column = models.CharField(max_length=40, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE
    )
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(k__gte=5), name="access_grant_k_at_least_5"),
            models.CheckConstraint(
                condition=models.Q(l_diversity__isnull=True) | models.Q(l_diversity__gte=2),
                name="access_grant_l_at_least_2",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in GrantStatus]),
                name="access_grant_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"grant {self.pk} {self.status}"

    @property
    def purpose(self) -> Purpose:
        """The research purpose as a ``governance.gate.purpose.Purpose``."""
        return Purpose.from_dict(self.purpose_data)

    @property
    def purpose_id(self) -> str:
        """The purpose reference the gate and the ledger record for uses under this grant."""
        return f"grant:{self.pk}"

    @property
    def l(self) -> int | None:  # noqa: E743 - the letter the l-diversity literature uses
        return self.l_diversity

    def is_active(self, at: datetime) -> bool:
        return self.status == GrantStatus.ACTIVE and at < self.expires_at
