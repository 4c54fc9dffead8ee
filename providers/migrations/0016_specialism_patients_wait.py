"""Specialisms that patients do not wait for (issue 13): not offered in the public waiting-time
search or on the request form, still reference data for figures, plans and the API.

From the Vektis COD016 list (``providers/data/specialisms_vektis_cod016.csv``):

* 0300 "Niet nader gespecificeerd": a code for unspecified claims, not a specialism to choose.
* 0386 Klinische chemie, 0387 Medische microbiologie, 0388 Pathologische anatomie: laboratory
  specialisms, which work on samples for other specialists and have no waiting list of patients.
* 0360 "Radiologie": the older code of the same specialism as 0362 "Radiologie (voorheen
  radiodiagnostiek)", the one in use; offering both showed "Radiologie" twice.
"""

from django.db import migrations, models

from providers.reference.stamp import create_triggers

NOT_FOR_PATIENTS = ("0300", "0360", "0386", "0387", "0388")


def mark_not_for_patients(apps, schema_editor):
    Specialism = apps.get_model("providers", "Specialism")
    Specialism.objects.filter(code__in=NOT_FOR_PATIENTS).update(patients_wait=False)


def restore_triggers(apps, schema_editor):
    # SQLite rebuilt the table to add the column, and dropped its triggers with the old one.
    create_triggers(schema_editor, ["providers_specialism"])


class Migration(migrations.Migration):
    dependencies = [("providers", "0015_capacity_holds")]

    operations = [
        migrations.AddField(
            model_name="specialism",
            name="patients_wait",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Offered to patients in the waiting-time search and the request form. Off "
                    "for laboratory specialisms, the unspecified code and duplicate codes."
                ),
                verbose_name="patients wait for it",
            ),
        ),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
        migrations.RunPython(mark_not_for_patients, migrations.RunPython.noop),
    ]
