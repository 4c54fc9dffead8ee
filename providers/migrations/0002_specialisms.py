"""Load the medical specialisms of Vektis COD016 (version 2020-10-23).

The list ships with the app in ``providers/data/specialisms_vektis_cod016.csv``; the migration is
idempotent (update_or_create by code), so re-running it after correcting the file is safe.
"""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "specialisms_vektis_cod016.csv"


def load_specialisms(apps, schema_editor):
    Specialism = apps.get_model("providers", "Specialism")
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Specialism.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    # Reversing keeps the rows: treatments, reports and cases may refer to them.
    operations = [migrations.RunPython(load_specialisms, migrations.RunPython.noop)]
