"""Volume transfers belong to the year of the care (the appointment), not of the confirmation
(DESIGN §3.5, issue 13): ``care_date``, filled with ``completed_on`` for the transfers recorded
before it existed (the best date known for them)."""

from django.db import migrations, models
from django.db.models import F


def care_date_from_completed_on(apps, schema_editor):
    VolumeTransfer = apps.get_model("finance", "VolumeTransfer")
    VolumeTransfer.objects.filter(care_date__isnull=True).update(care_date=F("completed_on"))


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0002_arrangements_and_transfers"),
    ]

    operations = [
        migrations.AddField(
            model_name="volumetransfer",
            name="care_date",
            field=models.DateField(null=True, verbose_name="date of care"),
        ),
        migrations.RunPython(care_date_from_completed_on, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="volumetransfer",
            name="care_date",
            field=models.DateField(verbose_name="date of care"),
        ),
        migrations.AlterModelOptions(
            name="volumetransfer",
            options={
                "ordering": ["-care_date", "-id"],
                "verbose_name": "volume transfer",
                "verbose_name_plural": "volume transfers",
            },
        ),
        migrations.RemoveIndex(
            model_name="volumetransfer",
            name="finance_vol_insurer_a62936_idx",
        ),
        migrations.RemoveIndex(
            model_name="volumetransfer",
            name="finance_vol_insurer_74def4_idx",
        ),
        migrations.AddIndex(
            model_name="volumetransfer",
            index=models.Index(
                fields=["insurer", "to_provider", "care_date"],
                name="finance_vol_insurer_edbf21_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="volumetransfer",
            index=models.Index(
                fields=["insurer", "from_provider", "care_date"],
                name="finance_vol_insurer_f350fc_idx",
            ),
        ),
    ]
