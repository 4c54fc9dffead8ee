"""Persistent overruns (issue 14, "langdurige overschrijding"): a series above the norm's maximum
for three cycles in a row is flagged; two cycles are not enough, a gap or insufficient
observations breaks the run, the flag clears when the figure is within the maximum again, and a
submission refreshes the flags of the series it touched."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import Role
from providers.models import Norm, PersistentOverrun
from providers.tasks import series_overruns_refresh
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.overrun import overrun_cycles, series_overrun_refresh
from providers.waiting_times.storage import waiting_time_reports_record
from tests.accounts.factories import ProviderOrganisationFactory, member
from tests.providers.factories import LocationFactory, TreatmentFactory, series_with_history

pytestmark = pytest.mark.django_db

# Thursday of ISO week 11: the last three cycles are 3 February, 17 February and 3 March.
TODAY = date(2026, 3, 12)
C1, C2, C3 = date(2026, 2, 3), date(2026, 2, 17), date(2026, 3, 3)
EARLIER = date(2026, 1, 20)


@pytest.fixture(autouse=True)
def norms() -> None:
    for kind, setting, target, maximum in [
        ("first_visit", "", 21, 28),
        ("diagnostics", "", 21, 28),
        ("treatment", "day", 28, 42),
        ("treatment", "inpatient", 35, 49),
    ]:
        Norm.objects.update_or_create(
            kind=kind,
            setting=setting,
            defaults={"target_days": target, "max_days": maximum, "target_percentage": 80},
        )


def open_flags() -> list[PersistentOverrun]:
    return list(PersistentOverrun.objects.filter(cleared_at__isnull=True))


def test_the_cycles_are_the_last_three_peildatums() -> None:
    assert overrun_cycles(today=TODAY) == [C1, C2, C3]
    assert overrun_cycles(today=C3) == [C1, C2, C3]
    assert overrun_cycles(today=C3 - timedelta(days=1)) == [EARLIER, C1, C2]


def test_three_cycles_above_the_maximum_flag_the_series() -> None:
    series = series_with_history([(C1, 40), (C2, 35), (C3, 30)])

    result = series_overrun_refresh(today=TODAY)

    assert result.flagged == 1
    [flag] = open_flags()
    assert (flag.series, flag.since, flag.latest_reference_date) == (series, C1, C3)
    assert (flag.cycles, flag.days, flag.max_days) == (3, 30, 28)


def test_two_cycles_are_not_enough() -> None:
    series_with_history([(C1, 20), (C2, 35), (C3, 30)])

    assert series_overrun_refresh(today=TODAY).flagged == 0
    assert open_flags() == []


def test_at_the_maximum_is_not_above_it() -> None:
    series_with_history([(C1, 40), (C2, 28), (C3, 30)])

    series_overrun_refresh(today=TODAY)

    assert open_flags() == []


def test_a_missing_cycle_breaks_the_run() -> None:
    series_with_history([(EARLIER, 40), (C1, 40), (C3, 30)])

    series_overrun_refresh(today=TODAY)

    assert open_flags() == []


def test_insufficient_observations_break_the_run() -> None:
    series_with_history([(C1, 40), (C2, None), (C3, 30)])

    series_overrun_refresh(today=TODAY)

    assert open_flags() == []


def test_an_off_cycle_peildatum_counts_towards_its_cycle() -> None:
    # A Thursday after the second cycle's Tuesday stands for that cycle.
    series_with_history([(C1, 40), (C2 + timedelta(days=2), 35), (C3, 30)])

    series_overrun_refresh(today=TODAY)

    assert len(open_flags()) == 1


def test_the_norm_of_the_treatments_setting_applies() -> None:
    location = LocationFactory()
    day = TreatmentFactory(setting="day")
    inpatient = TreatmentFactory(setting="inpatient", specialism=day.specialism)
    # 45 days: above the day-care maximum (42), within the inpatient one (49).
    flagged = series_with_history([(C1, 45), (C2, 45), (C3, 45)], location=location, treatment=day)
    series_with_history([(C1, 45), (C2, 45), (C3, 45)], location=location, treatment=inpatient)

    series_overrun_refresh(today=TODAY)

    assert [flag.series for flag in open_flags()] == [flagged]
    assert open_flags()[0].max_days == 42


def test_refreshing_again_changes_nothing() -> None:
    series_with_history([(C1, 40), (C2, 35), (C3, 30)])
    series_overrun_refresh(today=TODAY)

    result = series_overrun_refresh(today=TODAY)

    assert result.counts == {"flagged": 0, "extended": 0, "cleared": 0}
    assert PersistentOverrun.objects.count() == 1


def test_a_fourth_cycle_above_extends_the_flag() -> None:
    series = series_with_history([(C1, 40), (C2, 35), (C3, 30)])
    series_overrun_refresh(today=TODAY)
    next_cycle = C3 + timedelta(days=14)
    series_with_history_add(series, next_cycle, 33)

    result = series_overrun_refresh(today=next_cycle)

    assert result.extended == 1
    [flag] = open_flags()
    assert (flag.since, flag.latest_reference_date, flag.cycles, flag.days) == (
        C1,
        next_cycle,
        4,
        33,
    )


def test_back_within_the_maximum_clears_the_flag_and_keeps_its_history() -> None:
    series = series_with_history([(C1, 40), (C2, 35), (C3, 30)])
    series_overrun_refresh(today=TODAY)
    next_cycle = C3 + timedelta(days=14)
    series_with_history_add(series, next_cycle, 25)

    result = series_overrun_refresh(today=next_cycle)

    assert result.cleared == 1
    assert open_flags() == []
    flag = PersistentOverrun.objects.get()
    assert flag.cleared_at is not None
    assert flag.cleared_reference_date == next_cycle


def test_a_cycle_without_a_report_does_not_clear_the_flag() -> None:
    series_with_history([(C1, 40), (C2, 35), (C3, 30)])
    series_overrun_refresh(today=TODAY)

    # Two weeks later the series has not reported: the run is broken, the flag stays.
    result = series_overrun_refresh(today=TODAY + timedelta(days=14))

    assert result.counts == {"flagged": 0, "extended": 0, "cleared": 0}
    assert len(open_flags()) == 1


def test_a_new_run_after_a_clearance_opens_a_new_flag() -> None:
    series = series_with_history([(C1, 40), (C2, 35), (C3, 30)])
    series_overrun_refresh(today=TODAY)
    cycles = [C3 + timedelta(days=14 * n) for n in range(1, 5)]
    series_with_history_add(series, cycles[0], 20)
    series_overrun_refresh(today=cycles[0])
    for cycle in cycles[1:]:
        series_with_history_add(series, cycle, 50)
        series_overrun_refresh(today=cycle)

    assert PersistentOverrun.objects.count() == 2
    [flag] = open_flags()
    assert flag.since == cycles[1]


def test_the_periodic_task_refreshes_all_series() -> None:
    c1, c2, c3 = overrun_cycles(today=timezone.localdate())
    series_with_history([(c1, 40), (c2, 35), (c3, 30)])
    series_with_history([(c1, 40), (c2, 35), (c3, 30)])
    series_with_history([(c1, 20), (c2, 35), (c3, 30)])

    counts = series_overruns_refresh.apply().get()

    assert counts["flagged"] == 2


def test_a_submission_refreshes_the_flags_of_its_series(
    django_capture_on_commit_callbacks,
) -> None:
    organisation = ProviderOrganisationFactory()
    location = LocationFactory(provider=organisation.provider)
    actor = actor_for_user(member(Role.PLANNER, organisation))
    # The submission is for the latest cycle as of today; the two before it were above the norm.
    cycles = overrun_cycles(today=timezone.localdate())
    series = series_with_history([(cycles[0], 40), (cycles[1], 35)], location=location)

    with django_capture_on_commit_callbacks(execute=True):
        waiting_time_reports_record(
            rows=[
                WaitingTimeRow(
                    row=1,
                    location=location.code,
                    specialism=series.specialism.code,
                    kind="first_visit",
                    days=31,
                    reference_date=cycles[2],
                )
            ],
            actor=actor,
            source="api",
        )

    [flag] = open_flags()
    assert flag.series == series


def series_with_history_add(series, day: date, days: int | None) -> None:
    """One more report, made the series' current figure."""
    series.reports.create(
        reference_date=day, days=days, insufficient_observations=days is None, source="api"
    )
    series.current_reference_date = day
    series.current_days = days
    series.current_insufficient_observations = days is None
    series.save()


def test_a_closed_location_is_not_flagged() -> None:
    series_with_history([(C1, 40), (C2, 35), (C3, 30)], location=LocationFactory(is_active=False))

    series_overrun_refresh(today=TODAY)

    assert open_flags() == []
