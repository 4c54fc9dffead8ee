"""Load the Treeknormen (DESIGN §3.1, as the NZa applies them): 80 % within the target, never
above the maximum.

Norms are data, edited in the admin afterwards; the migration is idempotent (update_or_create by
kind and setting).
"""

from django.db import migrations

# (kind, setting, target_days, max_days)
TREEKNORMEN = [
    ("first_visit", "", 21, 28),
    ("diagnostics", "", 21, 28),
    ("treatment", "day", 28, 42),
    ("treatment", "inpatient", 35, 49),
]


def load_norms(apps, schema_editor):
    Norm = apps.get_model("providers", "Norm")
    for kind, setting, target_days, max_days in TREEKNORMEN:
        Norm.objects.update_or_create(
            kind=kind,
            setting=setting,
            defaults={"target_days": target_days, "max_days": max_days, "target_percentage": 80},
        )


class Migration(migrations.Migration):
    dependencies = [("providers", "0003_treatments")]

    operations = [migrations.RunPython(load_norms, migrations.RunPython.noop)]
