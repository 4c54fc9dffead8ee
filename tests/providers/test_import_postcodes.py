"""``manage.py import_postcodes``: refresh the PC4 table from a GeoNames download."""

import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from providers.models import PostcodeArea
from tests.shared_data import SHARED_DATA, needs_shared

pytestmark = pytest.mark.django_db

RAW_FILE = SHARED_DATA / "geonames_NL_postalcodes_2024-04.tsv"


def line(*columns: str) -> str:
    return "\t".join([*columns, *[""] * (12 - len(columns))]) + "\n"


# Hand-made, in the real format. Against the table loaded by the migration:
# 1011 as shipped (unchanged); 9401 moved a little (updated); 6679 is new (created);
# 3861 says "Hoogland" for code 0267, which is Nijkerk (curated name kept, unchanged);
# 3231 has no admin fields (Voorne aan Zee kept, unchanged); 9999 is the pseudo code (skipped).
SAMPLE = "".join(
    [
        line("NL", "1011", "Amsterdam", "North Holland", "07", "Gemeente Amsterdam", "0363",
             "", "", "52.371", "4.9042"),
        line("NL", "9401", "Assen", "Drenthe", "01", "Assen Municipality", "0106",
             "", "", "52.9940", "6.5625"),
        line("NL", "6679", "Oosterhout", "Guelders", "03", "Overbetuwe", "1734",
             "", "", "51.8800", "5.8300"),
        line("NL", "3861", "Nijkerk", "Guelders", "03", "Hoogland Municipality", "0267",
             "", "", "52.2268", "5.4755"),
        line("NL", "3231", "Vierpolders", "", "", "", "", "", "", "51.9025", "4.173"),
        line("NL", "3231", "Brielle", "", "", "", "", "", "", "51.9049", "4.1656"),
        line("NL", "9999", "Zwolle", "Overijssel", "15", "Gemeente Zwolle", "0193",
             "", "", "52.5092", "6.1154"),
    ]
)  # fmt: skip
BAD_LINE = "NL\t1012\tAmsterdam\tNorth Holland\n"


@pytest.fixture
def sample(tmp_path) -> Path:
    path = tmp_path / "NL.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_postcodes", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, tuple]:
    return {
        area.pc4: (area.place, area.municipality, area.province, area.latitude, area.longitude)
        for area in PostcodeArea.objects.all()
    }


def test_import_upserts_and_reports_counts(sample):
    before = PostcodeArea.objects.count()
    voorne = PostcodeArea.objects.get(pk="3231")

    output = run(str(sample))

    assert "5 postcode areas: 1 created, 1 updated, 3 unchanged, 0 deleted" in output
    assert "1 lines skipped" in output
    assert PostcodeArea.objects.count() == before + 1
    new = PostcodeArea.objects.get(pk="6679")
    assert (new.place, new.municipality, new.municipality_code, new.province) == (
        "Oosterhout",
        "Overbetuwe",
        "GM1734",
        "Gelderland",
    )
    assert PostcodeArea.objects.get(pk="9401").latitude == Decimal("52.99400")
    # A GeoNames misnomer of a known CBS code does not overwrite the curated name.
    assert PostcodeArea.objects.get(pk="3861").municipality == "Nijkerk"
    # A PC4 that lost its admin fields in GeoNames keeps the ones it had.
    kept = PostcodeArea.objects.get(pk="3231")
    assert (kept.municipality, kept.municipality_code, kept.province) == (
        voorne.municipality,
        voorne.municipality_code,
        voorne.province,
    )
    assert kept.province == "Zuid-Holland"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(sample):
    run(str(sample))
    state = snapshot()
    output = run(str(sample))
    assert "0 created, 0 updated, 5 unchanged, 0 deleted" in output
    assert snapshot() == state


def test_pc4s_absent_from_the_file_are_kept_unless_pruned(sample):
    run(str(sample))
    assert PostcodeArea.objects.filter(pk="1012").exists()

    output = run(str(sample), "--prune")

    assert set(PostcodeArea.objects.values_list("pk", flat=True)) == {
        "1011",
        "9401",
        "6679",
        "3861",
        "3231",
    }
    assert "0 created, 0 updated, 5 unchanged, 4081 deleted" in output


def test_a_file_with_a_malformed_line_is_refused_as_a_whole(tmp_path):
    path = tmp_path / "NL.txt"
    path.write_text(SAMPLE + BAD_LINE + BAD_LINE.replace("1012", "1013"), encoding="utf-8")
    state = snapshot()

    with pytest.raises(CommandError) as excinfo:
        run(str(path))

    message = str(excinfo.value)
    assert "2 malformed line(s), nothing imported" in message
    assert "line 8: expected 12 tab-separated columns, found 4" in message
    assert "line 9:" in message
    assert snapshot() == state
    assert not PostcodeArea.objects.filter(pk="6679").exists()


def test_a_failure_while_writing_leaves_nothing_behind(sample, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(PostcodeArea.objects, "bulk_update", fail)
    with pytest.raises(DatabaseError):
        run(str(sample))
    # The create of 6679 happened before the failing update and was rolled back with it.
    assert not PostcodeArea.objects.filter(pk="6679").exists()


def test_dry_run_reports_without_storing(sample):
    state = snapshot()
    output = run(str(sample), "--dry-run", "--prune")
    assert output.startswith("Dry run, nothing stored.")
    assert "1 created, 1 updated, 3 unchanged, 4081 deleted" in output
    assert snapshot() == state


def test_the_zip_that_geonames_publishes_is_read_directly(tmp_path):
    path = tmp_path / "NL.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "GeoNames postal codes, CC BY 4.0")
        archive.writestr("NL.txt", SAMPLE)
    assert "1 created, 1 updated, 3 unchanged" in run(str(path))


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "absent.txt"))


def test_a_file_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "NL.txt"
    path.write_bytes(SAMPLE.replace("Amsterdam", "Ámsterdam").encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run(str(path))


def test_a_file_without_any_area_is_refused(tmp_path):
    path = tmp_path / "NL.txt"
    path.write_text("\n", encoding="utf-8")
    before = PostcodeArea.objects.count()
    with pytest.raises(CommandError, match="no postcode areas"):
        run(str(path), "--prune")
    assert PostcodeArea.objects.count() == before


@needs_shared(RAW_FILE)
def test_the_real_geonames_export_imports_into_an_empty_table_and_matches_the_shipped_one():
    shipped = snapshot()
    PostcodeArea.objects.all().delete()

    output = run(str(RAW_FILE))

    assert "4085 created, 0 updated, 0 unchanged" in output
    assert PostcodeArea.objects.count() == 4085
    amsterdam = PostcodeArea.objects.get(pk="1011")
    assert float(amsterdam.latitude) == pytest.approx(52.37, abs=0.01)
    assert float(amsterdam.longitude) == pytest.approx(4.90, abs=0.01)
    assert amsterdam.province == "Noord-Holland"
    imported = snapshot()
    # Points and places are those of the shipped table; only names the table curates differ
    # (fresh table, so there is nothing to keep them from).
    assert {pc4: values[3:] for pc4, values in imported.items()} == {
        pc4: values[3:] for pc4, values in shipped.items()
    }
    assert {pc4: values[0] for pc4, values in imported.items()} == {
        pc4: values[0] for pc4, values in shipped.items()
    }


@needs_shared(RAW_FILE)
def test_the_real_geonames_export_over_the_shipped_table_changes_nothing():
    output = run(str(RAW_FILE))
    assert "4085 postcode areas: 0 created, 0 updated, 4085 unchanged, 0 deleted" in output
