from django.db import models

from governance.ledger.actions import Outcome


class AuditEvent(models.Model):
    """One ledger entry. Append-only: database triggers reject UPDATE, DELETE and TRUNCATE."""

    seq = models.PositiveBigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    subject_code = models.CharField(max_length=32, blank=True, db_index=True)
    purpose = models.CharField(max_length=64, blank=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=[(o, o) for o in Outcome.ALL])
    extra = models.JSONField(default=dict, blank=True)
    leaf_hash = models.CharField(max_length=64)
    # The canonical JSON the leaf hash covers, exactly as hashed. Verification on
    # PostgreSQL hashes it in the database and checks it against the columns above.
    document = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["action", "occurred_at"]),
            models.Index(fields=["actor_id", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"


class Checkpoint(models.Model):
    """A signed tree head: the ledger's first ``tree_size`` events hash to ``root_hash``.

    ``note`` is the C2SP signed-note checkpoint text exactly as signed and as written to
    the external checkpoint directory. ``compact_range`` holds the perfect-subtree hashes
    at this size (hex, comma-separated), so the next checkpoint continues from here
    instead of rereading the whole ledger. Append-only, like the events.
    """

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    origin = models.CharField(max_length=200)
    note = models.TextField()
    compact_range = models.TextField(blank=True)

    class Meta:
        ordering = ["tree_size"]
        get_latest_by = "tree_size"

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size} {self.root_hash[:12]}"
