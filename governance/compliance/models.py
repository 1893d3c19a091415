"""The compliance console's own records: the ledger verifications it ran."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VerificationRun(models.Model):
    """One on-demand verification of the ledger, and what it found."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ok = models.BooleanField()
    tree_size = models.PositiveBigIntegerField()
    first_bad_seq = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=200, blank=True)
    checkpoint_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.pk} {'ok' if self.ok else 'failed'}"
