"""The current version's gate terms on the subject row, kept by triggers (see
``consent.current_terms``), and on SQLite the index the consent gate scans. The
triggers go in after the columns: on SQLite adding a NOT NULL column rebuilds
``consent_subject``."""

from django.conf import settings
from django.db import migrations, models

from consent import current_terms


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": current_terms.postgres_sql, "sqlite": current_terms.sqlite_sql}.get(vendor)
    for sql in statements() if statements else []:
        schema_editor.execute(sql, params=None)
    schema_editor.execute(current_terms.refresh_all_sql(), params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {
        "postgresql": current_terms.postgres_reverse_sql,
        "sqlite": current_terms.sqlite_reverse_sql,
    }.get(vendor)
    for sql in statements() if statements else []:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0002_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='subject',
            name='current_countries',
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_institutions',
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_moratorium',
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_projects',
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_terms',
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_use_ends',
            field=models.DateField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_users',
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_valid_from',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name='subject',
            name='current_valid_until',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
