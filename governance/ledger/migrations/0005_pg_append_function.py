from django.db import migrations


def install(apps, schema_editor):
    from governance.ledger import pg_append

    pg_append.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from governance.ledger import pg_append

    pg_append.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    """PostgreSQL: ``ledger_append`` locks, numbers, hashes and inserts in one call."""

    dependencies = [
        ("ledger", "0004_document_check"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
