"""The national NZa import (issue 14): providers and locations created from the file, the treatment
catalogue filled from it (unknown names for review), lines that cannot be mapped skipped without
refusing the file, a provider's own figure winning over the NZa's for the same series and
peildatum (both orders), a repeated import changing nothing, ISO-8859-1 and UTF-8, JSON records."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.actors import actor_for_system, actor_for_user
from providers.models import (
    Location,
    Provider,
    ProviderKind,
    ReferenceStamp,
    ReportOrigin,
    Treatment,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.nza.regions import roaz_region_code
from providers.nza.services import (
    nza_waiting_times_import,
    provider_kind_for,
    treatment_setting_guess,
)
from providers.waiting_times import storage
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.storage import waiting_time_reports_record
from providers.waiting_times.validation import WaitingTimeReportErrors
from tests.providers.factories import LocationFactory, ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)
PEILDATUM = "2026-11-24"
DEMO_FILE = Path(settings.BASE_DIR) / "portal" / "demo" / "data" / "nza_wachttijden_demo.csv"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
HEADER = (
    "ID;PEILDATUM;TYPE_WACHTTIJD;WACHTTIJD;ONVOLDOENDE_WAARNEMINGEN;SPECIALISME;BEHANDELING;"
    "AGB_CODE_ZORGAANBIEDER;ZORGAANBIEDER;TYPE_ZORGINSTELLING;ROAZ_REGIO;AGB_CODE_LOCATIE;"
    "LOCATIE;STRAAT;HUISNUMMER;POSTCODE;PLAATS"
)
NEW_PROVIDER = (
    "06555001;Ziekenhuis Nergenshuizen;Ziekenhuis;Netwerk Acute Zorg West;06555101;"
    "Nergenshuizen Zuid;Lindelaan;5;2333 ZA;Leiden"
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(params=["default", "orm"] if ON_POSTGRESQL else ["default"])
def store_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(storage, "_store_postgresql", storage._store_orm)
    return request.param


def national(*lines: str, encoding: str = "iso-8859-1") -> io.BytesIO:
    return io.BytesIO(("\r\n".join([HEADER, *lines]) + "\r\n").encode(encoding))


def line(
    number: int,
    kind: str,
    days: str,
    specialism: str,
    treatment: str = "",
    where: str = NEW_PROVIDER,
    peildatum: str = PEILDATUM,
) -> str:
    flag = "Ja" if days == "" else "Nee"
    return f"{number};{peildatum};{kind};{days};{flag};{specialism};{treatment};{where}"


def run(file: io.BytesIO, **kwargs):
    return nza_waiting_times_import(
        file=file, actor=actor_for_system("test"), today=TODAY, **kwargs
    )


def test_new_provider_and_location_are_created_from_the_file(store_path):
    stamp = ReferenceStamp.objects.values_list("token", flat=True).first()
    result = run(
        national(
            line(1, "Polikliniekbezoek", "30", "Orthopedie (305)"),
            line(2, "Diagnostiek", "12,0", "Orthopedie (305)"),
        )
    )
    assert result.counts["created"] == 2
    assert result.providers_created == 1 and result.locations_created == 1
    provider = Provider.objects.get(agb_code="06555001")
    assert provider.name == "Ziekenhuis Nergenshuizen"
    assert provider.kind == ProviderKind.HOSPITAL
    assert provider.region.code == "NAZW"
    assert provider.nza_reference_date == date(2026, 11, 24)
    location = Location.objects.get(code="06555101")
    assert location.provider == provider
    assert (location.postcode, location.city, location.street) == (
        "2333ZA",
        "Leiden",
        "Lindelaan 5",
    )
    assert 52.0 < float(location.latitude) < 52.3
    series = WaitingTimeSeries.objects.get(location=location, kind="diagnostics")
    assert series.current_days == 12
    assert series.current_origin == ReportOrigin.NZA
    report = WaitingTimeReport.objects.get(series=series)
    assert report.origin == ReportOrigin.NZA
    # The search's snapshot of the reference data sees the new provider and location.
    assert ReferenceStamp.objects.values_list("token", flat=True).first() != stamp


def test_agb_codes_keep_and_regain_their_leading_zero():
    where = (
        "6555002;Kliniek Nulpunt;Kliniek;;6555102;Nulpunt;Weg;1;3584 CX;Utrecht"  # zeros dropped
    )
    run(national(line(1, "Polikliniekbezoek", "30", "Oogheelkunde (301)", where=where)))
    provider = Provider.objects.get(agb_code="06555002")
    assert provider.kind == ProviderKind.ZBC
    assert Location.objects.filter(code="06555102", provider=provider).exists()
    # No ROAZ_REGIO: the approximation from the postcode's province (Utrecht).
    assert provider.region.code == "NAZMN"


def test_roaz_region_replaces_the_approximation_of_a_known_provider():
    region = RegionFactory(code="NAZL")
    provider = ProviderFactory(agb_code="06555003", region=region)
    LocationFactory(provider=provider, code="06555103")
    where = "06555003;Ziekenhuis Bekend;Ziekenhuis;NAZ Noordwest;06555103;;;;;"
    result = run(national(line(1, "Polikliniekbezoek", "30", "Chirurgie (303)", where=where)))
    provider.refresh_from_db()
    assert provider.region.code == "NAZNHF"
    assert provider.name == "Ziekenhuis Bekend"
    assert result.providers_updated == 1


def test_roaz_names_map_onto_our_regions():
    assert roaz_region_code("Acute Zorgnetwerk Noord Nederland") == "AZNN"
    assert roaz_region_code("SpoedZorgNet") == "NAZNHF"
    assert roaz_region_code("ROAZ regio Netwerk Acute Zorg Zuidwest Nederland") == "NAZZWN"
    assert roaz_region_code("Netwerk Acute Zorg Midden-Nederland") == "NAZMN"
    assert roaz_region_code("nazb") == "NAZB"
    assert roaz_region_code("Regio Atlantis") is None
    assert roaz_region_code("") is None


def test_kind_of_institution():
    assert provider_kind_for("Ziekenhuis", "Radboudumc") == ProviderKind.HOSPITAL
    assert provider_kind_for("Ziekenhuis", "Amsterdam UMC") == ProviderKind.UMC
    assert provider_kind_for("", "Universitair Medisch Centrum Fictief") == ProviderKind.UMC
    assert provider_kind_for("Kliniek", "Oogkliniek") == ProviderKind.ZBC
    assert provider_kind_for("ZBC", "Kliniek X") == ProviderKind.ZBC
    assert provider_kind_for("", "Ziekenhuis Y") == ProviderKind.HOSPITAL
    assert provider_kind_for("Onbekend type", "Z") == ProviderKind.HOSPITAL


def test_setting_guess_is_conservative():
    assert treatment_setting_guess("Dikkedarmresectie met opname (chirurgie)") == "inpatient"
    assert treatment_setting_guess("Longresectie klinisch") == "inpatient"
    assert treatment_setting_guess("Poliklinische behandeling") == "day"
    assert treatment_setting_guess("Cataract-operatie") == "day"


def test_unknown_treatment_is_created_for_review_and_reported(store_path):
    name = "Fictieve kijkoperatie enkel (orthopedie)"
    result = run(national(line(5, "Behandeling", "40", "Orthopedie (305)", treatment=name)))
    treatment = Treatment.objects.get(nza_name=name)
    assert treatment.needs_review
    assert treatment.specialism.code == "0305"
    assert treatment.setting == "day"
    assert treatment.code == "fictieve-kijkoperatie-enkel-orthopedie"[:25] + treatment.code[25:]
    assert len(treatment.code) <= 32
    assert result.treatments_created == [
        {
            "code": treatment.code,
            "name": name,
            "specialism": "0305",
            "setting": "day",
            "row": "2",
        }
    ]
    assert result.counts["created"] == 1
    # The next file with the same name finds it (no second treatment).
    again = run(national(line(5, "Behandeling", "41", "Orthopedie (305)", treatment=name)))
    assert again.treatments_created == []
    assert Treatment.objects.filter(nza_name=name).count() == 1


def test_known_nza_name_maps_onto_the_catalogue():
    run(national(line(1, "Behandeling", "50", "Oogheelkunde (301)", treatment="CATARACT-OPERATIE")))
    series = WaitingTimeSeries.objects.get(kind="treatment", location__code="06555101")
    assert series.treatment.code == "cataract"


def test_lines_that_cannot_be_mapped_are_skipped_not_the_file(store_path):
    result = run(
        national(
            line(1, "Polikliniekbezoek", "30", "Fantasiologie (999)"),
            line(2, "Behandeling", "45", "Droomkunde (998)", treatment="Wensvervulling"),
            line(3, "Spoedbezoek", "4", "Chirurgie (303)"),
            line(4, "Polikliniekbezoek", "veel", "Chirurgie (303)"),
            line(5, "Polikliniekbezoek", "30", "Chirurgie (303)", peildatum="31-02-2026"),
            line(
                6,
                "Polikliniekbezoek",
                "30",
                "Chirurgie (303)",
                where="AGB-9;Onbekend;Ziekenhuis;;06555109;X;Y;1;2333 ZA;Leiden",
            ),
            line(
                7,
                "Polikliniekbezoek",
                "30",
                "Chirurgie (303)",
                where="06555008;Nergens;Kliniek;;06555108;X;Y;1;6679 AA;Oosterhout",
            ),
            line(8, "Polikliniekbezoek", "30", "Chirurgie (303)"),
            line(9, "Polikliniekbezoek", "31", "Chirurgie (303)"),  # a duplicate of line 9
        )
    )
    assert result.counts["created"] == 1
    assert result.skipped == 8
    rows = {error["row"]: error for error in result.skipped_lines}
    assert set(rows) == {2, 3, 4, 5, 6, 7, 8, 10}
    assert rows[2]["field"] == "SPECIALISME" and "0999" in rows[2]["message"]
    assert rows[3]["field"] == "BEHANDELING" and "Wensvervulling" in rows[3]["message"]
    assert rows[4]["field"] == "TYPE_WACHTTIJD"
    assert rows[5]["field"] == "WACHTTIJD"
    assert rows[6]["field"] == "PEILDATUM"
    assert rows[7]["field"] == "AGB_CODE_ZORGAANBIEDER" and "AGB-9" in rows[7]["message"]
    assert rows[8]["field"] == "POSTCODE" and "6679" in rows[8]["message"]
    assert "Row 9" in rows[10]["message"]
    assert not Treatment.objects.filter(nza_name="Wensvervulling").exists()
    assert not Provider.objects.filter(agb_code__in=["06555008", "AGB-9"]).exists()
    assert not Location.objects.filter(code__in=["06555108", "06555109"]).exists()


def test_a_file_level_problem_refuses_the_file():
    with pytest.raises(WaitingTimeReportErrors) as raised:
        run(io.BytesIO(b"ID;TYPE_WACHTTIJD;WACHTTIJD\n1;Behandeling;3\n"))
    assert "AGB_CODE_LOCATIE" in raised.value.errors[0]["message"]
    with pytest.raises(WaitingTimeReportErrors):
        run(io.BytesIO(b"PK\x03\x04\x00\x00binary"))
    with pytest.raises(WaitingTimeReportErrors):
        run(io.BytesIO(b"a,b,c\n1,2,3\n"))
    assert not Provider.objects.filter(agb_code="06555001").exists()


def test_repeated_import_changes_nothing(store_path):
    file = DEMO_FILE.read_bytes()
    first = run(io.BytesIO(file))
    assert first.counts["created"] > 400
    stamp = ReferenceStamp.objects.values_list("token", flat=True).first()
    reports = WaitingTimeReport.objects.count()
    second = run(io.BytesIO(file))
    assert second.counts["created"] == second.counts["updated"] == 0
    assert second.counts["unchanged"] == first.counts["created"]
    assert second.providers_created == second.providers_updated == 0
    assert second.locations_created == second.locations_updated == 0
    assert second.treatments_created == []
    assert WaitingTimeReport.objects.count() == reports
    assert not WaitingTimeRevision.objects.exists()
    assert ReferenceStamp.objects.values_list("token", flat=True).first() == stamp


def test_demo_file_fills_the_catalogue_to_the_national_shape():
    before = Treatment.objects.count()
    result = run(io.BytesIO(DEMO_FILE.read_bytes()))
    names = {
        name.casefold()
        for name in Treatment.objects.exclude(nza_name="").values_list("nza_name", flat=True)
    }
    assert len(result.treatments_created) == Treatment.objects.count() - before
    assert len(names) >= 70
    assert Treatment.objects.filter(needs_review=True).count() == len(result.treatments_created)
    assert result.skipped >= 2
    assert "Regio Atlantis" in result.unknown_regions


def test_utf8_and_iso_8859_1_read_the_same(store_path):
    name = "Knieën rechtstand correctie (orthopedie)"
    run(
        national(line(1, "Behandeling", "40", "Orthopedie (305)", treatment=name), encoding="utf-8")
    )
    assert Treatment.objects.filter(nza_name=name).count() == 1
    again = run(
        national(
            line(1, "Behandeling", "40", "Orthopedie (305)", treatment=name), encoding="iso-8859-1"
        )
    )
    assert again.counts["unchanged"] == 1
    assert Treatment.objects.filter(nza_name=name).count() == 1


def test_json_records_of_the_zorgbeeld_api(store_path):
    records = [
        {
            "Date": "2026-11-24T00:00:00",
            "WaitingTime": 35,
            "InsufficientObservations": "Nee",
            "KVKNumber": "12345678",
            "CareProvider": "Stichting Fictief Ziekenhuis",
            "CareProvider_AGBCode": "06555020",
            "Location_AGBCode": "06555120",
            "Location": "Fictief Ziekenhuis Nijmegen",
            "Street": "Geert Grooteplein",
            "StreetNumber": "10",
            "PostalCode": "6525GA",
            "City": "Nijmegen",
            "TreatmentNumber": 12,
            "Treatment": "Cataract-operatie",
            "TreatmentType": "Behandeling",
            "Specialism": "Oogheelkunde (301)",
        },
        {
            "Date": "2026-11-24T00:00:00",
            "WaitingTime": None,
            "InsufficientObservations": "Ja",
            "CareProvider": "Stichting Fictief Ziekenhuis",
            "CareProvider_AGBCode": "06555020",
            "Location_AGBCode": "06555120",
            "Location": "Fictief Ziekenhuis Nijmegen",
            "PostalCode": "6525GA",
            "TreatmentType": "Polikliniekbezoek",
            "Specialism": "Oogheelkunde (301)",
        },
    ]
    result = run(io.BytesIO(json.dumps({"value": records}).encode()))
    assert result.counts["created"] == 2
    provider = Provider.objects.get(agb_code="06555020")
    assert provider.kvk_number == "12345678"
    assert provider.kind == ProviderKind.HOSPITAL
    report = WaitingTimeReport.objects.get(series__kind="first_visit")
    assert report.insufficient_observations and report.days is None
    assert report.source == "json"


def _provider_report(location: Location, days: int, planner) -> None:
    waiting_time_reports_record(
        rows=[
            WaitingTimeRow(
                row=1,
                location=location.code,
                kind="first_visit",
                specialism="0305",
                days=days,
                reference_date=date(2026, 11, 24),
            )
        ],
        actor=actor_for_user(planner),
        source="api",
        today=TODAY,
    )


def test_provider_report_wins_when_it_comes_after_the_nza_figure(store_path, planner):
    location = LocationFactory(provider=planner.membership.organisation.provider, code="06555130")
    where = f"{location.provider.agb_code};;;;{location.code};;;;;"
    run(national(line(1, "Polikliniekbezoek", "50", "Orthopedie (305)", where=where)))
    series = WaitingTimeSeries.objects.get(location=location)
    assert (series.current_days, series.current_origin) == (50, ReportOrigin.NZA)

    _provider_report(location, 20, planner)
    series.refresh_from_db()
    assert (series.current_days, series.current_origin) == (20, ReportOrigin.PROVIDER)
    report = WaitingTimeReport.objects.get(series=series)
    assert report.origin == ReportOrigin.PROVIDER and report.import_job_id is None
    revision = WaitingTimeRevision.objects.get(report=report)
    assert (revision.days, revision.origin) == (50, ReportOrigin.NZA)

    # The NZa's figure for the same series and peildatum does not overwrite it again.
    again = run(national(line(1, "Polikliniekbezoek", "50", "Orthopedie (305)", where=where)))
    assert again.counts["kept_provider"] == 1
    assert again.counts["updated"] == again.counts["created"] == 0
    series.refresh_from_db()
    assert (series.current_days, series.current_origin) == (20, ReportOrigin.PROVIDER)


def test_provider_report_wins_when_it_came_first(store_path, planner):
    location = LocationFactory(provider=planner.membership.organisation.provider, code="06555131")
    _provider_report(location, 20, planner)
    where = f"{location.provider.agb_code};;;;{location.code};;;;;"
    result = run(
        national(
            line(1, "Polikliniekbezoek", "50", "Orthopedie (305)", where=where),
            line(2, "Diagnostiek", "9", "Orthopedie (305)", where=where),
        )
    )
    assert result.counts["kept_provider"] == 1
    assert result.counts["created"] == 1
    report = WaitingTimeReport.objects.get(series__location=location, series__kind="first_visit")
    assert (report.days, report.origin) == (20, ReportOrigin.PROVIDER)
    assert not WaitingTimeRevision.objects.exists()
    series = WaitingTimeSeries.objects.get(location=location, kind="first_visit")
    assert (series.current_days, series.current_origin) == (20, ReportOrigin.PROVIDER)


def test_an_older_file_does_not_overwrite_newer_data():
    run(national(line(1, "Polikliniekbezoek", "30", "Chirurgie (303)")))
    older = NEW_PROVIDER.replace("Ziekenhuis Nergenshuizen", "Oude Naam").replace(
        "Nergenshuizen Zuid", "Oude Locatie"
    )
    result = run(
        national(
            line(
                1, "Polikliniekbezoek", "33", "Chirurgie (303)", where=older, peildatum="2026-11-10"
            )
        )
    )
    assert result.providers_updated == result.locations_updated == 0
    assert Provider.objects.get(agb_code="06555001").name == "Ziekenhuis Nergenshuizen"
    assert Location.objects.get(code="06555101").name == "Nergenshuizen Zuid"
    series = WaitingTimeSeries.objects.get(location__code="06555101")
    assert series.current_days == 30  # the older peildatum is history, not the current figure
    newer = NEW_PROVIDER.replace("Ziekenhuis Nergenshuizen", "Nieuwe Naam")
    result = run(
        national(
            line(
                1, "Polikliniekbezoek", "28", "Chirurgie (303)", where=newer, peildatum="2026-11-26"
            )
        )
    )
    assert result.providers_updated == 1
    assert Provider.objects.get(agb_code="06555001").name == "Nieuwe Naam"


def test_a_line_in_the_future_is_skipped_and_updates_nothing():
    run(national(line(1, "Polikliniekbezoek", "30", "Chirurgie (303)")))
    future = NEW_PROVIDER.replace("Ziekenhuis Nergenshuizen", "Toekomst")
    result = run(
        national(
            line(
                1, "Polikliniekbezoek", "9", "Chirurgie (303)", where=future, peildatum="2027-01-05"
            )
        )
    )
    assert result.skipped == 1
    assert result.skipped_lines[0]["field"] == "PEILDATUM"
    assert result.providers_updated == 0
    provider = Provider.objects.get(agb_code="06555001")
    assert (provider.name, provider.nza_reference_date) == (
        "Ziekenhuis Nergenshuizen",
        date(2026, 11, 24),
    )
