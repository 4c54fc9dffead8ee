"""The reference data stamp (``providers.models.ReferenceStamp``) and the triggers that renew its
token whenever the reference data that the public search keeps in memory changes
(``providers.reference.stamp``)."""

import uuid

from django.db import migrations, models

from providers.reference.stamp import STAMP_ID, create_triggers, drop_triggers


def forwards(apps, schema_editor):
    apps.get_model("providers", "ReferenceStamp").objects.create(
        id=STAMP_ID, token=str(uuid.uuid4())
    )
    create_triggers(schema_editor)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0010_region_trend_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=36, verbose_name="token")),
            ],
            options={
                "verbose_name": "reference data stamp",
                "verbose_name_plural": "reference data stamps",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
