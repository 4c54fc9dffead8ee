"""Volume transfers: the money follows the patient (DESIGN §3.5)."""

from datetime import date
from decimal import Decimal

import pytest

from core.errors import ApplicationError
from finance.models import Tariff, TariffSource, VolumeTransfer
from finance.services import tariff_for, volume_transfer_record
from finance.services.transfers import DEFAULT_TRANSFER_TARIFF
from tests.accounts.factories import InsurerFactory
from tests.finance.factories import TariffFactory
from tests.providers.factories import ProviderFactory, SpecialismFactory, TreatmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    return {
        "insurer": InsurerFactory(),
        "from_provider": ProviderFactory(),
        "to_provider": ProviderFactory(),
    }


def test_the_migration_adds_an_editable_default_tariff():
    default = Tariff.objects.get(specialism__isnull=True, treatment__isnull=True)
    assert default.amount == Decimal("3000.00")
    assert default.is_default


def test_treatment_tariff_wins_over_specialism_and_default():
    treatment = TreatmentFactory()
    TariffFactory(specialism=treatment.specialism, amount=Decimal("2100.00"))
    TariffFactory(specialism=None, treatment=treatment, amount=Decimal("7450.50"))
    assert tariff_for(specialism=treatment.specialism, treatment=treatment) == (
        Decimal("7450.50"),
        TariffSource.TREATMENT,
    )


def test_specialism_tariff_applies_when_the_treatment_has_none():
    treatment = TreatmentFactory()
    TariffFactory(specialism=treatment.specialism, amount=Decimal("2100.00"))
    other = TreatmentFactory()
    TariffFactory(specialism=None, treatment=other, amount=Decimal("9999.00"))
    assert tariff_for(specialism=treatment.specialism, treatment=treatment) == (
        Decimal("2100.00"),
        TariffSource.SPECIALISM,
    )
    assert tariff_for(specialism=treatment.specialism) == (
        Decimal("2100.00"),
        TariffSource.SPECIALISM,
    )


def test_default_tariff_applies_otherwise_and_its_value_is_editable():
    Tariff.objects.filter(specialism__isnull=True, treatment__isnull=True).update(
        amount=Decimal("2750.00")
    )
    assert tariff_for(specialism=SpecialismFactory()) == (Decimal("2750.00"), "default")


def test_without_any_default_row_the_built_in_default_applies():
    Tariff.objects.all().delete()
    assert tariff_for(specialism=SpecialismFactory()) == (DEFAULT_TRANSFER_TARIFF, "default")


def test_record_prices_the_transfer_and_is_idempotent_on_the_case_reference(parties):
    treatment = TreatmentFactory()
    TariffFactory(specialism=None, treatment=treatment, amount=Decimal("4200.00"))
    kwargs = dict(
        **parties,
        specialism=treatment.specialism,
        treatment=treatment,
        case_reference="ZB-2026-000123",
        completed_on=date(2026, 4, 14),
        care_date=date(2026, 5, 4),
    )
    first = volume_transfer_record(**kwargs)
    assert (first.completed_on, first.care_date) == (date(2026, 4, 14), date(2026, 5, 4))
    assert first.estimated_amount == Decimal("4200.00")
    assert first.tariff_source == TariffSource.TREATMENT
    # A later tariff change does not reprice a transfer already recorded, nor does a retry.
    Tariff.objects.filter(treatment=treatment).update(amount=Decimal("1.00"))
    again = volume_transfer_record(**kwargs)
    assert again.pk == first.pk
    assert again.estimated_amount == Decimal("4200.00")
    assert VolumeTransfer.objects.count() == 1


def test_same_provider_is_refused(parties):
    with pytest.raises(ApplicationError):
        volume_transfer_record(
            insurer=parties["insurer"],
            from_provider=parties["to_provider"],
            to_provider=parties["to_provider"],
            specialism=SpecialismFactory(),
            treatment=None,
            case_reference="ZB-2026-000124",
            completed_on=date(2026, 4, 14),
            care_date=date(2026, 5, 4),
        )
    assert not VolumeTransfer.objects.exists()


def test_treatment_of_another_specialism_is_refused(parties):
    with pytest.raises(ApplicationError):
        volume_transfer_record(
            **parties,
            specialism=SpecialismFactory(),
            treatment=TreatmentFactory(),
            case_reference="ZB-2026-000125",
            completed_on=date(2026, 4, 14),
            care_date=date(2026, 5, 4),
        )


def test_a_second_default_tariff_is_refused_by_validation():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Tariff(amount=Decimal("1.00")).full_clean()
    treatment = TreatmentFactory()
    with pytest.raises(ValidationError):
        Tariff(
            amount=Decimal("1.00"), treatment=treatment, specialism=treatment.specialism
        ).full_clean()


def test_tariffs_are_editable_in_the_admin(client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/finance/tariff/").status_code == 200
    default = Tariff.objects.get(specialism__isnull=True, treatment__isnull=True)
    response = client.post(
        f"/admin/finance/tariff/{default.pk}/change/",
        {"specialism": "", "treatment": "", "amount": "3250.00"},
    )
    assert response.status_code == 302
    default.refresh_from_db()
    assert default.amount == Decimal("3250.00")
    assert default.history.count() == 1
