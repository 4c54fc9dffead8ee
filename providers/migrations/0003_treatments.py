"""Load the project's list of common elective treatments (``providers/data/treatments.csv``).

The codes are our own stable slugs; the NZa's list of behandelingen (bijlage 1 of the regeling)
was not available. Idempotent: update_or_create by code.
"""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "treatments.csv"


def load_treatments(apps, schema_editor):
    Specialism = apps.get_model("providers", "Specialism")
    Treatment = apps.get_model("providers", "Treatment")
    specialisms = {specialism.code: specialism for specialism in Specialism.objects.all()}
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Treatment.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "specialism": specialisms[row["specialism"]],
                    "setting": row["setting"],
                },
            )


class Migration(migrations.Migration):
    dependencies = [("providers", "0002_specialisms")]

    # Reversing keeps the rows: waiting times and cases may refer to them.
    operations = [migrations.RunPython(load_treatments, migrations.RunPython.noop)]
