from django.db import migrations, models


def install_triggers(apps, schema_editor):
    from governance.ledger import triggers

    triggers.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    from governance.ledger import triggers

    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tree_size", models.PositiveBigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(db_index=True)),
                ("origin", models.CharField(max_length=200)),
                ("note", models.TextField()),
                ("compact_range", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["tree_size"],
                "get_latest_by": "tree_size",
            },
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
