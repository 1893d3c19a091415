from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0002_checkpoint_and_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="document",
            field=models.TextField(blank=True, default=""),
        ),
    ]
