"""Reject UPDATE and DELETE on consent versions and their disease rows (see
``consent.append_only``). Keep this the last migration touching these tables on SQLite:
a table rebuild there drops its triggers (a test checks they exist)."""

from django.db import migrations

from consent import append_only


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": append_only.postgres_sql, "sqlite": append_only.sqlite_sql}.get(vendor)
    for sql in statements() if statements else []:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": append_only.postgres_reverse_sql, "sqlite": append_only.sqlite_reverse_sql}.get(vendor)
    for sql in statements() if statements else []:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
