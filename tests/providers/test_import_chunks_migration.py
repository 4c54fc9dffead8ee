"""Migration 0014 keeps an upload that is waiting for its import: the file moves from the old
``content`` column into pieces, and back when the migration is reversed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("providers", "0013_treatment_nza_name")
AFTER = ("providers", "0014_waiting_time_import_chunks")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_a_waiting_uploads_file_moves_into_pieces_and_back(reference_data, monkeypatch):
    monkeypatch.setattr(
        "providers.migrations.0014_waiting_time_import_chunks.CHUNK_BYTES", 10, raising=True
    )
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        provider = old.get_model("providers", "Provider").objects.create(
            agb_code="06000001",
            name="Oud",
            kind="hospital",
            region=old.get_model("providers", "Region").objects.first(),
        )
        Import = old.get_model("providers", "WaitingTimeImport")
        content = b"location,kind\n" + "é".encode() * 20
        waiting = Import.objects.create(provider=provider, file_name="a.csv", content=content)
        done = Import.objects.create(provider=provider, file_name="b.csv", status="succeeded")

        new = migrate(AFTER)
        Chunk = new.get_model("providers", "WaitingTimeImportChunk")
        pieces = list(Chunk.objects.filter(job_id=waiting.pk).order_by("number"))
        assert [piece.number for piece in pieces] == list(range(6))
        assert b"".join(bytes(piece.data) for piece in pieces) == content
        assert new.get_model("providers", "WaitingTimeImport").objects.get(pk=waiting.pk).size == 54
        assert not Chunk.objects.filter(job_id=done.pk).exists()

        old = migrate(BEFORE)
        restored = old.get_model("providers", "WaitingTimeImport").objects.get(pk=waiting.pk)
        assert bytes(restored.content) == content
    finally:
        MigrationExecutor(connection).migrate(leaves)
