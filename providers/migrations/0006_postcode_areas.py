"""Load the PC4 table derived from GeoNames (CC BY 4.0), ``providers/data/pc4_geonames.csv``.

About 4,100 rows in one bulk upsert (INSERT … ON CONFLICT, SQLite ≥ 3.24 and PostgreSQL), so it is
fast and can run again. Later refreshes go through ``manage.py import_postcodes``.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "pc4_geonames.csv"
FIELDS = ["place", "municipality", "municipality_code", "province", "latitude", "longitude"]


def load_postcode_areas(apps, schema_editor):
    PostcodeArea = apps.get_model("providers", "PostcodeArea")
    with DATA.open(encoding="utf-8", newline="") as handle:
        areas = [
            PostcodeArea(
                pc4=row["pc4"],
                place=row["place"],
                municipality=row["municipality"],
                municipality_code=row["municipality_code"],
                province=row["province"],
                latitude=Decimal(row["latitude"]),
                longitude=Decimal(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        ]
    PostcodeArea.objects.bulk_create(
        areas,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["pc4"],
        update_fields=FIELDS,
    )


class Migration(migrations.Migration):
    dependencies = [("providers", "0005_roaz_regions")]

    operations = [migrations.RunPython(load_postcode_areas, migrations.RunPython.noop)]
