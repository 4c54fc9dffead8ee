"""An uploaded waiting-time file is kept in pieces (``WaitingTimeImportChunk``) instead of one
``content`` column, so that a large file is written and read a piece at a time (issue 12: a 50 MB
upload must not cost a worker a gigabyte); an import also remembers the API key that sent it.

The file of an import that has not finished yet is moved into pieces (and back, when reversed)."""

import django.db.models.deletion
from django.db import migrations, models

CHUNK_BYTES = 1024 * 1024  # providers.waiting_times.imports.IMPORT_CHUNK_BYTES when written


def _check_constraints_now(schema_editor):
    """PostgreSQL alters no table with deferred constraint checks pending in the transaction (the
    foreign keys of the rows just written): run them now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def content_to_chunks(apps, schema_editor):
    WaitingTimeImport = apps.get_model("providers", "WaitingTimeImport")
    WaitingTimeImportChunk = apps.get_model("providers", "WaitingTimeImportChunk")
    for pk in WaitingTimeImport.objects.exclude(content=b"").values_list("pk", flat=True):
        content = bytes(WaitingTimeImport.objects.filter(pk=pk).values_list("content", flat=True)[0])
        WaitingTimeImport.objects.filter(pk=pk).update(size=len(content))
        for number, start in enumerate(range(0, len(content), CHUNK_BYTES)):
            WaitingTimeImportChunk.objects.create(
                job_id=pk, number=number, data=content[start : start + CHUNK_BYTES]
            )
    _check_constraints_now(schema_editor)


def chunks_to_content(apps, schema_editor):
    WaitingTimeImport = apps.get_model("providers", "WaitingTimeImport")
    WaitingTimeImportChunk = apps.get_model("providers", "WaitingTimeImportChunk")
    job_ids = WaitingTimeImportChunk.objects.values_list("job_id", flat=True).distinct()
    for pk in job_ids:
        pieces = WaitingTimeImportChunk.objects.filter(job_id=pk).order_by("number")
        content = b"".join(bytes(data) for data in pieces.values_list("data", flat=True))
        WaitingTimeImport.objects.filter(pk=pk).update(content=content)
    _check_constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_append_only_trigger"),
        ("providers", "0013_treatment_nza_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="waitingtimeimport",
            name="api_key",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="accounts.apikey",
                verbose_name="API key",
            ),
        ),
        migrations.AddField(
            model_name="waitingtimeimport",
            name="size",
            field=models.PositiveIntegerField(default=0, verbose_name="size (bytes)"),
        ),
        migrations.CreateModel(
            name="WaitingTimeImportChunk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="number")),
                ("data", models.BinaryField(verbose_name="data")),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chunks",
                        to="providers.waitingtimeimport",
                        verbose_name="waiting-time import",
                    ),
                ),
            ],
            options={
                "verbose_name": "piece of an uploaded file",
                "verbose_name_plural": "pieces of uploaded files",
                "ordering": ["job", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("job", "number"), name="waiting_time_import_chunk_unique_number"
                    )
                ],
            },
        ),
        migrations.RunPython(content_to_chunks, chunks_to_content),
        migrations.RemoveField(model_name="waitingtimeimport", name="content"),
    ]
