"""The regional trend's summary stays equal to a direct count of the reports, whatever the write
path: new figures, corrections (also on PostgreSQL's COPY path), insufficient observations,
several regions in one submission, a location switched off, a provider moved to another region."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings

from accounts.actors import actor_for_user
from accounts.models import Role
from providers.models import RegionTrendCount, ReportSource, Treatment, WaitingTimeReport
from providers.reports.trend_counts import region_trend_counts_rebuild
from providers.waiting_times import storage
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.storage import waiting_time_reports_record
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.providers.factories import LocationFactory, ProviderFactory, RegionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
PEILDATUM = date(2026, 11, 17)
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(params=["default", "orm"] if ON_POSTGRESQL else ["default"])
def store_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(storage, "_store_postgresql", storage._store_orm)
    return request.param


def summary() -> Counter:
    return Counter(
        {
            (region, kind, setting, day, days): reports
            for region, kind, setting, day, days, reports in RegionTrendCount.objects.values_list(
                "region_id", "kind", "setting", "reference_date", "days", "reports"
            )
        }
    )


def direct_count() -> Counter:
    """The oracle: the reports of active locations with a number, counted one by one."""
    counted: Counter = Counter()
    for report in WaitingTimeReport.objects.select_related(
        "series__location__provider", "series__treatment"
    ):
        location = report.series.location
        if report.days is None or not location.is_active:
            continue
        treatment = report.series.treatment
        key = (
            location.provider.region_id,
            report.series.kind,
            treatment.setting if treatment else "",
            report.reference_date,
            report.days,
        )
        counted[key] += 1
    return counted


def row(location, n=2, **values) -> WaitingTimeRow:
    fields = {
        "location": location.code,
        "kind": "first_visit",
        "specialism": "0305",
        "treatment": None,
        "days": 30,
        "insufficient_observations": False,
        "reference_date": PEILDATUM,
    }
    fields.update(values)
    return WaitingTimeRow(row=n, **fields)


def record(rows, user) -> None:
    waiting_time_reports_record(
        rows=rows, actor=actor_for_user(user), source=ReportSource.API, today=TODAY
    )


@pytest.fixture
def world():
    region_a, region_b = RegionFactory(code="TRA"), RegionFactory(code="TRB")
    org = ProviderOrganisationFactory(provider=ProviderFactory(region=region_a))
    planner = member(Role.PLANNER, org)
    first = LocationFactory(provider=org.provider, code="70000001")
    second = LocationFactory(provider=org.provider, code="70000002")
    other_org = ProviderOrganisationFactory(provider=ProviderFactory(region=region_b))
    other_planner = member(Role.PLANNER, other_org)
    elsewhere = LocationFactory(provider=other_org.provider, code="70000003")
    return region_a, region_b, planner, first, second, other_planner, elsewhere


def test_new_figures_are_counted_per_region_kind_setting_peildatum_and_days(
    world, store_path
) -> None:
    region_a, region_b, planner, first, second, other_planner, elsewhere = world
    cataract = Treatment.objects.filter(setting="day").first()
    earlier = PEILDATUM - timedelta(weeks=2)
    record(
        [
            row(first, 2, days=30),
            row(second, 3, days=30),
            row(first, 4, days=12, reference_date=earlier),
            row(first, 5, kind="diagnostics", days=9),
            row(
                first,
                6,
                kind="treatment",
                specialism=cataract.specialism.code,
                treatment=cataract.code,
                days=40,
            ),
            # Insufficient observations: no number, not counted.
            row(second, 7, kind="diagnostics", days=None, insufficient_observations=True),
        ],
        planner,
    )
    record([row(elsewhere, 2, days=30)], other_planner)

    assert summary() == Counter(
        {
            (region_a.pk, "first_visit", "", PEILDATUM, 30): 2,
            (region_a.pk, "first_visit", "", earlier, 12): 1,
            (region_a.pk, "diagnostics", "", PEILDATUM, 9): 1,
            (region_a.pk, "treatment", "day", PEILDATUM, 40): 1,
            (region_b.pk, "first_visit", "", PEILDATUM, 30): 1,
        }
    )
    assert summary() == direct_count()


def test_a_correction_moves_the_count_to_the_new_value(world, store_path) -> None:
    region_a, _b, planner, first, second, *_ = world
    record([row(first, 2, days=30), row(second, 3, days=30)], planner)

    record([row(first, 2, days=50)], planner)
    record([row(second, 2, days=None, insufficient_observations=True)], planner)

    assert summary() == Counter({(region_a.pk, "first_visit", "", PEILDATUM, 50): 1})
    assert summary() == direct_count()


def test_a_location_switched_off_leaves_its_regions_trend_after_a_rebuild(world) -> None:
    region_a, _b, planner, first, second, *_ = world
    record([row(first, 2, days=30), row(second, 3, days=44)], planner)
    second.is_active = False
    second.save()

    region_trend_counts_rebuild(region_ids=[region_a.pk])

    assert summary() == Counter({(region_a.pk, "first_visit", "", PEILDATUM, 30): 1})
    assert summary() == direct_count()


def test_a_full_rebuild_follows_a_provider_to_its_new_region(world) -> None:
    _region_a, region_b, planner, first, *_ = world
    record([row(first, 2, days=30)], planner)
    provider = first.provider
    provider.region = region_b
    provider.save()

    region_trend_counts_rebuild()

    assert summary() == Counter({(region_b.pk, "first_visit", "", PEILDATUM, 30): 1})
    assert summary() == direct_count()


def test_the_admin_recounts_the_regions_of_a_location_it_changes(
    world, admin_client, django_capture_on_commit_callbacks
) -> None:
    _region_a, _b, planner, first, *_ = world
    record([row(first, 2, days=30)], planner)
    url = f"/admin/providers/location/{first.pk}/change/"
    page = admin_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["is_active"] = ""
    data["accepted_urgency_classes"] = "[1, 2, 3, 4, 5]"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert summary() == Counter()
    assert summary() == direct_count()


def test_the_command_rebuilds_the_summary_and_refuses_unknown_regions(world) -> None:
    from django.core.management import CommandError, call_command

    region_a, _b, planner, first, *_ = world
    record([row(first, 2, days=30)], planner)
    RegionTrendCount.objects.all().delete()

    call_command("rebuild_trend_counts", region_a.code, stdout=StringIO())

    assert summary() == direct_count()
    with pytest.raises(CommandError, match="NOPE"):
        call_command("rebuild_trend_counts", "NOPE", stdout=StringIO())
