"""Parsing the raw GeoNames NL.txt format into PC4 areas (providers.geography.geonames, pure)."""

import csv
from decimal import Decimal

import pytest

from providers.geography.geonames import (
    LineError,
    municipality_code,
    municipality_name,
    parse_geonames,
    province_name,
)
from tests.shared_data import SHARED_DATA, needs_shared

RAW_FILE = SHARED_DATA / "geonames_NL_postalcodes_2024-04.tsv"
DERIVED_FILE = SHARED_DATA / "nl_pc4_centroids_geonames.csv"


def line(*columns: str) -> str:
    """A GeoNames line: the given leading columns, padded to twelve with empty ones."""
    return "\t".join([*columns, *[""] * (12 - len(columns))]) + "\n"


def place(pc4, name, province, municipality, code, lat, lon):
    return line("NL", pc4, name, province, "xx", municipality, code, "", "", lat, lon)


def test_one_place_becomes_one_area_with_dutch_names():
    result = parse_geonames(
        [
            place(
                "1011",
                "Amsterdam",
                "North Holland",
                "Gemeente Amsterdam",
                "0363",
                "52.371",
                "4.9042",
            )
        ]
    )
    assert result.ok and result.skipped_lines == 0
    [area] = result.areas
    assert area.pc4 == "1011"
    assert area.place == "Amsterdam"
    assert area.municipality == "Amsterdam"
    assert area.municipality_code == "GM0363"
    assert area.province == "Noord-Holland"
    assert (area.latitude, area.longitude) == (Decimal("52.371"), Decimal("4.9042"))


def test_places_of_one_pc4_are_averaged_first_place_and_modal_municipality_kept():
    result = parse_geonames(
        [
            place("7000", "Eerste", "Guelders", "Minder Municipality", "0001", "52.0", "6.0"),
            place("7000", "Tweede", "Guelders", "Meest Municipality", "0002", "52.1", "6.1"),
            place("7000", "Derde", "Guelders", "Gemeente Meest", "0002", "52.2", "6.2"),
        ]
    )
    [area] = result.areas
    assert area.place == "Eerste"
    assert (area.municipality, area.municipality_code) == ("Meest", "GM0002")
    assert area.province == "Gelderland"
    assert (area.latitude, area.longitude) == (Decimal("52.10000"), Decimal("6.10000"))


def test_a_tie_between_municipalities_goes_to_the_first_listed():
    result = parse_geonames(
        [
            place("7000", "A", "Guelders", "Een", "0001", "52.0", "6.0"),
            place("7000", "B", "Guelders", "Twee", "0002", "52.0", "6.0"),
        ]
    )
    assert result.areas[0].municipality == "Een"


def test_mean_is_rounded_to_five_decimals():
    result = parse_geonames(
        [
            place("7000", "A", "Guelders", "Een", "0001", "52.00001", "6.0"),
            place("7000", "B", "Guelders", "Een", "0001", "52.00002", "6.0"),
        ]
    )
    assert result.areas[0].latitude == Decimal("52.00002")  # 52.000015 rounds half up


def test_a_pc4_without_admin_fields_keeps_them_empty():
    result = parse_geonames([line("NL", "3231", "Brielle", "", "", "", "", "", "", "51.9", "4.16")])
    [area] = result.areas
    assert (area.municipality, area.municipality_code, area.province) == ("", "", "")


def test_pseudo_code_9999_and_points_outside_the_netherlands_are_skipped():
    result = parse_geonames(
        [
            place("9999", "Zwolle", "Overijssel", "Gemeente Zwolle", "0193", "52.5", "6.1"),
            place("8899", "Noordzee", "Friesland", "X", "0001", "54.5", "5.0"),
            place("8898", "Duitsland", "Overijssel", "X", "0001", "52.5", "8.0"),
            place("8000", "Zwolle", "Overijssel", "Gemeente Zwolle", "0193", "52.5", "6.1"),
        ]
    )
    assert result.ok
    assert [area.pc4 for area in result.areas] == ["8000"]
    assert result.skipped_lines == 3


def test_areas_are_ordered_by_pc4_and_blank_lines_and_crlf_are_fine():
    text = (
        place("9401", "Assen", "Drenthe", "Assen Municipality", "0106", "53.0", "6.56")
        + "\n"
        + place("1011", "Amsterdam", "North Holland", "Amsterdam", "0363", "52.37", "4.9")
    ).replace("\n", "\r\n")
    result = parse_geonames(text.splitlines(keepends=True))
    assert result.ok
    assert [area.pc4 for area in result.areas] == ["1011", "9401"]


def test_malformed_lines_are_reported_with_their_line_numbers():
    lines = [
        place("1011", "Amsterdam", "North Holland", "Amsterdam", "0363", "52.37", "4.9"),
        "NL\t1012\tAmsterdam\n",
        place("1013", "Amsterdam", "North Holland", "Amsterdam", "0363", "abc", "4.9"),
        place("0123", "Nergens", "North Holland", "Amsterdam", "0363", "52.37", "4.9"),
        place("1014", "Amsterdam", "Bavaria", "Amsterdam", "0363", "52.37", "4.9"),
        line("BE", "1000", "Brussel", "", "", "", "", "", "", "50.85", "4.35"),
        place("1015", "Amsterdam", "North Holland", "Amsterdam", "GMX", "52.37", "4.9"),
        place("1016", "", "North Holland", "Amsterdam", "0363", "52.37", "4.9"),
        place("1017", "Amsterdam", "North Holland", "Amsterdam", "0363", "52.37", "nan"),
    ]
    result = parse_geonames(lines)
    assert not result.ok
    assert [error.line for error in result.errors] == [2, 3, 4, 5, 6, 7, 8, 9]
    messages = [str(error) for error in result.errors]
    assert messages[0] == "line 2: expected 12 tab-separated columns, found 3"
    assert "latitude 'abc' is not a number" in messages[1]
    assert "'0123' is not a PC4" in messages[2]
    assert "unknown province 'Bavaria'" in messages[3]
    assert "country 'BE' is not NL" in messages[4]
    assert "'GMX'" in messages[5]
    assert "place name is empty" in messages[6]
    assert "longitude 'nan' is not a number" in messages[7]
    # The good line is still parsed, for the report; the caller must not import it.
    assert [area.pc4 for area in result.areas] == ["1011"]


def test_line_error_reads_as_a_sentence():
    assert str(LineError(7, "place name is empty")) == "line 7: place name is empty"


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        ("Drenthe", "Drenthe"),
        ("Flevoland", "Flevoland"),
        ("Friesland", "Friesland"),
        ("Groningen", "Groningen"),
        ("Guelders", "Gelderland"),
        ("Limburg", "Limburg"),
        ("North Brabant", "Noord-Brabant"),
        ("North Holland", "Noord-Holland"),
        ("Overijssel", "Overijssel"),
        ("South Holland", "Zuid-Holland"),
        ("Utrecht", "Utrecht"),
        ("Zealand", "Zeeland"),
        ("Zuid-Holland", "Zuid-Holland"),
        ("", ""),
    ],
)
def test_provinces_are_translated_to_dutch(english, dutch):
    assert province_name(english) == dutch


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Assen Municipality", "Assen"),
        ("Gemeente Zwolle", "Zwolle"),
        ("Gemeente 's-Hertogenbosch", "'s-Hertogenbosch"),
        ("Katwijk Municipalty", "Katwijk"),
        ("Ameland Municipalitye", "Ameland"),
        ("Groningen.", "Groningen"),
        ("Sûdwest Fryslân", "Sûdwest Fryslân"),
        ("Het Hogeland", "Het Hogeland"),
    ],
)
def test_municipality_names_lose_the_geonames_decoration(raw, name):
    assert municipality_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "code"), [("0363", "GM0363"), ("363", "GM0363"), ("GM1992", "GM1992"), ("", "")]
)
def test_municipality_codes_take_the_cbs_form(raw, code):
    assert municipality_code(raw) == code


@pytest.mark.parametrize("raw", ["GMX", "12345", "03a3"])
def test_a_municipality_code_that_is_no_code_is_refused(raw):
    with pytest.raises(ValueError):
        municipality_code(raw)


@needs_shared(RAW_FILE)
def test_the_real_2024_export_parses_into_4085_areas_matching_the_derived_table():
    with RAW_FILE.open(encoding="utf-8") as handle:
        result = parse_geonames(handle)
    assert result.ok, result.errors[:5]
    assert len(result.areas) == 4085
    assert result.skipped_lines == 6  # the six lines of pseudo code 9999
    with DERIVED_FILE.open(encoding="utf-8") as handle:
        derived = {row["pc4"]: row for row in csv.DictReader(handle)}
    assert {area.pc4 for area in result.areas} == set(derived)
    for area in result.areas:
        row = derived[area.pc4]
        assert area.place == row["plaats"]
        assert area.latitude == Decimal(row["lat"]), area.pc4
        assert area.longitude == Decimal(row["lon"]), area.pc4
        if area.province:  # 13 PC4s have no admin fields in 2024 (filled by hand there)
            assert area.province == row["provincie"], area.pc4
            assert area.municipality_code == row["gemeente_code"], area.pc4
