from django.db import migrations


def install_check(apps, schema_editor):
    from governance.ledger import triggers

    triggers.install_document_check(schema_editor.connection)


def uninstall_check(apps, schema_editor):
    from governance.ledger import triggers

    triggers.uninstall_document_check(schema_editor.connection)


class Migration(migrations.Migration):
    """PostgreSQL: every event's columns must say what its hashed document says."""

    dependencies = [
        ("ledger", "0003_auditevent_document"),
    ]

    operations = [
        migrations.RunPython(install_check, uninstall_check),
    ]
