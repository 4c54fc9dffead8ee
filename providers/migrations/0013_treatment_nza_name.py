"""The NZa's name of a treatment (``Treatment.nza_name``), filled in from
``providers/data/treatments.csv`` where it is known, so that NZa files' treatment lines are read."""

import csv
from pathlib import Path

import django.db.models.functions.text
from django.db import migrations, models

from providers.reference.stamp import create_triggers

DATA = Path(__file__).resolve().parent.parent / "data" / "treatments.csv"


def load_nza_names(apps, schema_editor):
    """Idempotent: sets the NZa name of each treatment in the file that has one."""
    Treatment = apps.get_model("providers", "Treatment")
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["nza_name"]:
                Treatment.objects.filter(code=row["code"]).update(nza_name=row["nza_name"])


def restore_triggers(apps, schema_editor):
    # SQLite rebuilt the table to add the column, and dropped its triggers with the old one.
    create_triggers(schema_editor, ["providers_treatment"])


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0012_series_current_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="treatment",
            name="nza_name",
            field=models.CharField(
                blank=True,
                help_text="The treatment's name in the NZa waiting-time data (e.g. "
                "Cataract-operatie), used to read NZa files; leave empty if the NZa does not "
                "publish it.",
                max_length=200,
                verbose_name="NZa name",
            ),
        ),
        migrations.AddConstraint(
            model_name="treatment",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("nza_name"),
                condition=models.Q(("nza_name", ""), _negated=True),
                name="treatment_unique_nza_name",
                violation_error_message="Another treatment has this NZa name.",
            ),
        ),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
        migrations.RunPython(load_nza_names, migrations.RunPython.noop),
    ]
