"""Cohort exports: one run of an export under a grant, from request to published files."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# The only moves an export can make; anything else raises InvalidTransition. Running
# goes back to queued only when the reconciler finds its lease expired (a worker died).
EXPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    ExportState.QUEUED: frozenset({ExportState.RUNNING, ExportState.CANCELLED}),
    ExportState.RUNNING: frozenset(
        {ExportState.SUCCEEDED, ExportState.FAILED, ExportState.CANCELLED, ExportState.QUEUED}
    ),
    ExportState.SUCCEEDED: frozenset(),
    ExportState.FAILED: frozenset(),
    ExportState.CANCELLED: frozenset(),
}
TERMINAL_STATES = frozenset({ExportState.SUCCEEDED, ExportState.FAILED, ExportState.CANCELLED})

COLUMNS = ("age", "sex", "postcode_area", "ethnic_background", "diagnoses")
FORMATS = ("csv", "parquet", "vcf")


class CohortExport(models.Model):
    """One export under an access grant, owned by the grant's researcher alone.

    The subject set is frozen when the run starts, not when it was requested. ``attempt``
    counts claims: each run works in its own temporary folder named by it, and only the
    run holding the current attempt may publish (a fencing token against a worker that
    was presumed dead). ``lease_expires_at`` is when the reconciler may take it back.
    """

    grant = models.ForeignKey(
        "access.AccessGrant", on_delete=models.PROTECT, related_name="exports"
    )
    researcher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cohort_exports"
    )
    idempotency_key = models.CharField(max_length=64)
    criteria = models.JSONField(default=dict, blank=True)
    columns = models.JSONField()
    formats = models.JSONField()
    state = models.CharField(max_length=10, choices=ExportState.choices, default=ExportState.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField()
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    output_dir = models.CharField(max_length=500, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    subject_count = models.PositiveIntegerField(null=True, blank=True)
    k_achieved = models.PositiveIntegerField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    files = models.JSONField(default=list, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "researcher", "idempotency_key"],
                name="export_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in ExportState]),
                name="export_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total")),
                name="export_progress_within_total",
            ),
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} {self.state}"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def percent(self) -> int:
        if self.state == ExportState.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    def file_names(self) -> list[str]:
        return [entry["name"] for entry in self.files]
