import statistics
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationKind, Role
from finance.models import Contract
from portal.demo.accounts import DEMO_PASSWORD
from providers.models import (
    Location,
    Norm,
    PersistentOverrun,
    PostcodeArea,
    Provider,
    ProviderKind,
    Treatment,
    WaitingTimeImport,
    WaitingTimeReport,
    WaitingTimeSeries,
)
from providers.reports.national import national_report
from providers.waiting_times.rules import exceeds_norm, is_stale, norm_key

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "providers": Provider.objects.count(),
        "locations": Location.objects.count(),
        "contracts": Contract.objects.count(),
        "memberships": Membership.objects.count(),
    }


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _check_national_picture() -> None:
    assert Organisation.objects.filter(kind=OrganisationKind.INSURER, is_demo=True).count() == 3
    providers = Provider.objects.all()
    # About 120 demo providers with logins, and the 13 that the demo's national NZa file adds.
    assert 110 <= providers.count() <= 145
    kinds = {kind: providers.filter(kind=kind).count() for kind in ProviderKind.values}
    assert 3 <= kinds["umc"] <= 10
    assert kinds["hospital"] > kinds["zbc"] >= 25
    assert 270 <= Location.objects.count() <= 360
    # Spread over the country: every region has providers, and at least ten provinces do.
    assert providers.values("region").distinct().count() == 10
    pc4s = {loc.postcode[:4] for loc in Location.objects.all()}
    provinces = set(PostcodeArea.objects.filter(pc4__in=pc4s).values_list("province", flat=True))
    assert len(provinces) >= 10
    # Every location stands at a real postcode.
    assert PostcodeArea.objects.filter(pc4__in=pc4s).count() == len(pc4s)


def _check_everything_is_marked_as_demo() -> None:
    assert all(p.name.startswith("Demo ") and p.is_demo for p in Provider.objects.all())
    assert all(loc.name.startswith("Demo ") for loc in Location.objects.all())
    assert not Organisation.objects.filter(is_demo=False).exists()


def _check_contracts_most_pairs() -> None:
    insurers = Organisation.objects.filter(kind=OrganisationKind.INSURER)
    year = max(Contract.objects.values_list("year", flat=True))
    # The providers of the demo's national NZa file have no contracts.
    pairs = insurers.count() * Provider.objects.filter(organisation__isnull=False).count()
    contracted = Contract.objects.filter(year=year).count()
    assert 0.7 * pairs <= contracted < pairs


def test_seed_demo_is_idempotent(seeded) -> None:
    before = _counts()
    names = sorted(Location.objects.values_list("code", "name", "postcode"))
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before
    second = WaitingTimeImport.objects.filter(scope="national").latest("pk")
    assert second.counts["created"] == second.counts["updated"] == 0
    assert sorted(Location.objects.values_list("code", "name", "postcode")) == names


def _check_working_logins_for_every_role(seeded: str) -> None:
    assert DEMO_PASSWORD in seeded
    for role in Role.values:
        membership = Membership.objects.get(role=role, user__username__in=seeded.split())
        assert membership.user.username in seeded
        client = Client()
        response = client.post(
            reverse("accounts:login"),
            {"username": membership.user.username, "password": DEMO_PASSWORD},
        )
        assert response.status_code == 302, role
        assert client.session["_auth_user_id"] == str(membership.user.pk)


def _check_waiting_times() -> None:
    """A year of biweekly figures around the national medians (first visit ~28 days, diagnostics
    ~15, treatment ~40), some above norm, some stale, some with insufficient observations."""
    today = timezone.localdate()
    norms = {(n.kind, n.setting): n.max_days for n in Norm.objects.all()}
    assert Location.objects.filter(series__isnull=True).count() == 0  # every location reports
    for kind, median_days in (("first_visit", 28), ("diagnostics", 15), ("treatment", 40)):
        series = list(WaitingTimeSeries.objects.filter(kind=kind).select_related("treatment"))
        current = [
            s.current_days
            for s in series
            if s.current_days is not None
            and not is_stale(reference_date=s.current_reference_date, today=today)
        ]
        assert 0.8 * median_days <= statistics.median(current) <= 1.2 * median_days, kind
        above = sum(
            1
            for s in series
            if exceeds_norm(
                days=s.current_days,
                max_days=norms[
                    norm_key(kind=kind, treatment_setting=s.treatment and s.treatment.setting)
                ],
            )
        )
        assert above > 0, kind
        assert (
            0
            < sum(is_stale(reference_date=s.current_reference_date, today=today) for s in series)
            < 0.1 * len(series)
        )
    assert WaitingTimeSeries.objects.filter(current_insufficient_observations=True).exists()
    dates = WaitingTimeReport.objects.order_by().values_list("reference_date", flat=True).distinct()
    assert len(dates) == 26
    assert all(d.isocalendar().week % 2 == 0 and d.weekday() == 1 for d in dates)
    # Issue 14: some series missed the last cycle, and some are persistently over the norm.
    report = national_report(today=today)
    assert 0 < report.totals["series_not_reported"] < 0.15 * report.totals["series"]
    assert report.totals["series_persistent_overrun"] >= 3
    flagged = PersistentOverrun.objects.filter(cleared_at__isnull=True)
    assert {flag.series.kind for flag in flagged} == {"first_visit", "diagnostics", "treatment"}


def _check_national_nza_file() -> None:
    """The synthetic national file went through the national import: its providers, the NZa's
    figures beside the demo providers' own (which win), treatments created for review."""
    job = WaitingTimeImport.objects.get(scope="national")
    assert job.status == "succeeded"
    assert job.counts["providers_created"] == 13
    assert job.counts["kept_provider"] > 0
    assert job.counts["skipped"] >= 2
    assert len(job.counts["treatments_created"]) >= 60
    assert WaitingTimeSeries.objects.filter(current_origin="nza").count() > 300
    assert WaitingTimeSeries.objects.filter(
        current_origin="nza", location__provider__agb_code="06990001"
    ).exists()
    assert Treatment.objects.filter(needs_review=True).count() == len(
        job.counts["treatments_created"]
    )


def test_seed_demo_builds_a_marked_national_picture_with_logins(seeded) -> None:
    """One seed, several checks: seeding is the slow part."""
    _check_national_picture()
    _check_national_nza_file()
    _check_waiting_times()
    _check_everything_is_marked_as_demo()
    _check_contracts_most_pairs()
    _check_working_logins_for_every_role(seeded)
