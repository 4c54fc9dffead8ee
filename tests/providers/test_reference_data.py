"""Reference data loaded by the providers data migrations: Vektis COD016 specialisms, our
treatments, the Treeknormen (DESIGN §3.1) and the GeoNames PC4 table."""

import csv
import importlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as global_apps

from providers.models import Norm, PostcodeArea, Specialism, Treatment
from tests.shared_data import SHARED_DATA, needs_shared

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "providers" / "data"
SHARED_SPECIALISMS = SHARED_DATA / "vektis_cod016_medisch_specialismen.csv"


def test_all_33_vektis_specialisms_with_leading_zero_and_dutch_short_name():
    assert Specialism.objects.count() == 33
    assert Specialism.objects.get(code="0305").name == "Orthopedie"
    assert Specialism.objects.get(code="0301").name == "Oogheelkunde"
    assert Specialism.objects.get(code="0302").name == "Keel-, neus- en oorheelkunde"
    assert Specialism.objects.get(code="1100").name == "Mondziekten en kaakchirurgie"
    assert all(
        re.fullmatch(r"\d{4}", code) for code in Specialism.objects.values_list("code", flat=True)
    )


@needs_shared(SHARED_SPECIALISMS)
def test_shipped_specialisms_are_the_vektis_cod016_list():
    with SHARED_SPECIALISMS.open(encoding="utf-8") as handle:
        vektis = {row["code"]: row["specialisme_kort"] for row in csv.DictReader(handle)}
    assert dict(Specialism.objects.values_list("code", "name")) == vektis


def test_treatments_are_procedures_with_slugs_dutch_names_specialisms_and_settings():
    treatments = list(Treatment.objects.select_related("specialism"))
    assert len(treatments) >= 35
    for treatment in treatments:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", treatment.code), treatment.code
        assert treatment.setting in {"day", "inpatient"}
        assert treatment.name and treatment.name[0].isupper()
    codes = {treatment.code for treatment in treatments}
    assert {
        "cataract",
        "total-hip-replacement",
        "total-knee-replacement",
        "knee-arthroscopy",
        "inguinal-hernia",
        "cholecystectomy",
        "carpal-tunnel-release",
        "varicose-veins",
        "hysterectomy",
        "tonsillectomy",
        "septoplasty",
    } <= codes


@pytest.mark.parametrize(
    ("code", "name", "specialism", "setting"),
    [
        ("cataract", "Staaroperatie", "0301", "day"),
        ("total-hip-replacement", "Totale heupprothese", "0305", "inpatient"),
        ("total-knee-replacement", "Totale knieprothese", "0305", "inpatient"),
        ("tonsillectomy", "Amandelen verwijderen (tonsillectomie)", "0302", "day"),
        ("inguinal-hernia", "Liesbreukoperatie", "0303", "day"),
        ("carpal-tunnel-release", "Carpaletunnelsyndroom-operatie", "0304", "day"),
        ("turp", "Prostaatoperatie via de plasbuis (TURP)", "0306", "inpatient"),
        ("hysterectomy", "Baarmoederverwijdering (hysterectomie)", "0307", "inpatient"),
        ("lumbar-disc-herniation", "Hernia-operatie lage rug", "0308", "inpatient"),
        ("pci", "Dotterbehandeling (PCI)", "0320", "day"),
        ("cabg", "Bypassoperatie van het hart (CABG)", "0328", "inpatient"),
    ],
)
def test_treatment_rows(code, name, specialism, setting):
    treatment = Treatment.objects.get(code=code)
    assert (treatment.name, treatment.specialism.code, treatment.setting) == (
        name,
        specialism,
        setting,
    )


def test_the_four_treeknormen():
    norms = {
        (norm.kind, norm.setting): (norm.target_days, norm.max_days, norm.target_percentage)
        for norm in Norm.objects.all()
    }
    assert norms == {
        ("first_visit", ""): (21, 28, 80),
        ("diagnostics", ""): (21, 28, 80),
        ("treatment", "day"): (28, 42, 80),
        ("treatment", "inpatient"): (35, 49, 80),
    }


def test_the_pc4_table_from_geonames():
    assert PostcodeArea.objects.count() == 4085
    amsterdam = PostcodeArea.objects.get(pk="1011")
    assert (amsterdam.place, amsterdam.municipality, amsterdam.municipality_code) == (
        "Amsterdam",
        "Amsterdam",
        "GM0363",
    )
    assert (amsterdam.latitude, amsterdam.longitude) == (Decimal("52.371"), Decimal("4.9042"))
    assert not PostcodeArea.objects.filter(pk="9999").exists()
    assert set(PostcodeArea.objects.values_list("province", flat=True)) == {
        "Drenthe",
        "Flevoland",
        "Friesland",
        "Gelderland",
        "Groningen",
        "Limburg",
        "Noord-Brabant",
        "Noord-Holland",
        "Overijssel",
        "Utrecht",
        "Zeeland",
        "Zuid-Holland",
    }
    # Every point lies inside the Netherlands (the Location constraint's box).
    assert not PostcodeArea.objects.exclude(
        latitude__range=(50.7, 53.6), longitude__range=(3.3, 7.3)
    ).exists()


def test_shipped_data_files_agree_with_each_other():
    with (DATA / "specialisms_vektis_cod016.csv").open(encoding="utf-8") as handle:
        specialisms = {row["code"] for row in csv.DictReader(handle)}
    with (DATA / "treatments.csv").open(encoding="utf-8") as handle:
        treatments = list(csv.DictReader(handle))
    assert len({row["code"] for row in treatments}) == len(treatments)
    assert {row["specialism"] for row in treatments} <= specialisms
    assert (
        max(len(row["code"]) for row in treatments) <= Treatment._meta.get_field("code").max_length
    )


@pytest.mark.parametrize(
    ("migration", "function"),
    [
        ("0002_specialisms", "load_specialisms"),
        ("0003_treatments", "load_treatments"),
        ("0004_treeknormen", "load_norms"),
        ("0005_roaz_regions", "load_regions"),
        ("0006_postcode_areas", "load_postcode_areas"),
        ("0013_treatment_nza_name", "load_nza_names"),
    ],
)
def test_data_migrations_can_run_again_without_duplicates(migration, function):
    from providers.models import Region

    def counts():
        return [
            model.objects.count()
            for model in (Specialism, Treatment, Norm, Region, Region.neighbours.through)
        ] + [PostcodeArea.objects.count()]

    before = counts()
    module = importlib.import_module(f"providers.migrations.{migration}")
    getattr(module, function)(global_apps, None)
    assert counts() == before
