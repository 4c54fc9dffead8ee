"""The reporting service: every validation rule, all-or-nothing, corrections with revisions, the
current-figure rules and a query count that does not grow with the number of rows.

On PostgreSQL the service stores through COPY and set-based SQL, elsewhere through ORM bulk
operations; the ``store_path`` fixture runs the storing tests through both where possible.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import translation

from accounts.actors import actor_for_user
from accounts.models import AuditEvent, Role
from providers.models import (
    MAX_PLAUSIBLE_WAIT_DAYS,
    ReportSource,
    Specialism,
    Treatment,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.waiting_times import series as series_service
from providers.waiting_times import storage
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.rules import nza_reference_date_on_or_before
from providers.waiting_times.series import waiting_time_series_create
from providers.waiting_times.storage import waiting_time_reports_record
from providers.waiting_times.validation import (
    WaitingTimeReportErrors,
    waiting_time_reports_validate,
)
from tests.accounts.factories import member
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
PEILDATUM = date(2026, 11, 17)


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (the msgids), whatever translations exist."""
    with translation.override("en"):
        yield


ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(params=["default", "orm"] if ON_POSTGRESQL else ["default"])
def store_path(request, monkeypatch):
    """Run through the database's own path, and on PostgreSQL through the ORM path too."""
    if request.param == "orm":
        monkeypatch.setattr(storage, "_store_postgresql", storage._store_orm)
    return request.param


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider, code="06020502")


@pytest.fixture
def second_location(provider_org):
    return LocationFactory(provider=provider_org.provider, code="06020503")


@pytest.fixture
def actor(planner, location):
    return actor_for_user(planner)


def row(n=2, **values) -> WaitingTimeRow:
    fields = {
        "location": "06020502",
        "kind": "first_visit",
        "specialism": "0305",
        "treatment": None,
        "days": 30,
        "insufficient_observations": False,
        "reference_date": PEILDATUM,
    }
    fields.update(values)
    return WaitingTimeRow(row=n, **fields)


def errors_of(rows, actor):
    _resolved, errors = waiting_time_reports_validate(rows=rows, actor=actor, today=TODAY)
    return [(e["row"], e["field"], e["message"]) for e in errors]


def record(rows, actor, **kwargs):
    return waiting_time_reports_record(
        rows=rows, actor=actor, source=kwargs.pop("source", ReportSource.API), today=TODAY, **kwargs
    )


# --- Validation ----------------------------------------------------------------------------------
def test_a_valid_row_resolves_codes_and_values(actor, location):
    resolved, errors = waiting_time_reports_validate(
        rows=[row(days="12", reference_date="2026-11-17")], actor=actor, today=TODAY
    )
    assert errors == []
    [one] = resolved
    assert one.location_id == location.pk
    assert one.specialism_id == Specialism.objects.get(code="0305").pk
    assert one.treatment_id is None
    assert (one.days, one.insufficient_observations) == (12, False)
    assert one.reference_date == PEILDATUM


def test_unknown_and_foreign_locations_get_the_same_message(actor, other_provider_org):
    LocationFactory(provider=other_provider_org.provider, code="07000001")
    foreign = errors_of([row(location="07000001")], actor)
    missing = errors_of([row(location="07000002")], actor)
    assert foreign[0][1] == missing[0][1] == "location"
    assert foreign[0][2].replace("07000001", "X") == missing[0][2].replace("07000002", "X")
    assert "Unknown location" in foreign[0][2]


def test_other_roles_report_for_no_location(location, provider_org):
    admin = actor_for_user(member(Role.PROVIDER_ADMIN, provider_org))
    assert errors_of([row()], admin)[0][1] == "location"


def test_location_code_is_required_and_leading_zero_restored(actor):
    assert errors_of([row(location="")], actor) == [(2, "location", "A location code is required.")]
    # A spreadsheet turned 06020502 into 6020502; the zero is put back.
    assert errors_of([row(location="6020502")], actor) == []


def test_inactive_location_is_refused(actor, location):
    location.is_active = False
    location.save()
    assert "no longer active" in errors_of([row()], actor)[0][2]


def test_unknown_and_missing_kind(actor):
    assert errors_of([row(kind="outpatient")], actor)[0][1:] == (
        "kind",
        "Unknown kind “outpatient”: use first_visit, diagnostics or treatment.",
    )
    assert errors_of([row(kind="")], actor)[0][1] == "kind"


def test_specialism_missing_or_unknown(actor):
    assert errors_of([row(specialism="")], actor) == [
        (2, "specialism", "A specialism is required for this kind.")
    ]
    assert errors_of([row(specialism="0999")], actor) == [
        (2, "specialism", "Unknown specialism “0999”.")
    ]
    assert errors_of([row(specialism="305")], actor) == []  # leading zero restored


def test_treatment_on_a_first_visit_or_diagnostics_row_is_refused(actor):
    for kind in ("first_visit", "diagnostics"):
        [(_row, field, message)] = errors_of([row(kind=kind, treatment="cataract")], actor)
        assert field == "treatment"
        assert "only on a row of kind treatment" in message


def test_treatment_row_needs_a_known_treatment(actor):
    assert errors_of([row(kind="treatment", specialism=None)], actor) == [
        (2, "treatment", "A treatment is required on a row of kind treatment.")
    ]
    assert errors_of([row(kind="treatment", treatment="nope", specialism=None)], actor) == [
        (2, "treatment", "Unknown treatment “nope”.")
    ]


def test_treatment_row_takes_its_specialism_from_the_treatment(actor):
    cataract = Treatment.objects.get(code="cataract")
    resolved, errors = waiting_time_reports_validate(
        rows=[row(kind="treatment", treatment="cataract", specialism=None)],
        actor=actor,
        today=TODAY,
    )
    assert errors == []
    assert resolved[0].specialism_id == cataract.specialism_id
    assert resolved[0].treatment_id == cataract.pk


@pytest.mark.parametrize(
    ("name", "specialism"),
    [
        pytest.param("staaroperatie", "", id="our-name"),
        pytest.param("CATARACT-OPERATIE", "0301", id="nza-name-whatever-the-case"),
    ],
)
def test_treatment_by_its_name_or_the_nzas(actor, name, specialism):
    resolved, errors = waiting_time_reports_validate(
        rows=[row(kind="treatment", treatment=name, specialism=specialism)],
        actor=actor,
        today=TODAY,
    )
    assert errors == []
    assert resolved[0].treatment_code == "cataract"


def test_an_nza_name_recorded_in_the_admin_is_read_from_then_on(actor):
    nza_name = "Carpaletunnelsyndroom operatie (plastische chirurgie)"
    treatment = Treatment.objects.exclude(nza_name__gt="").first()
    assert errors_of([row(kind="treatment", treatment=nza_name, specialism=None)], actor)

    Treatment.objects.filter(pk=treatment.pk).update(nza_name=nza_name)

    resolved, errors = waiting_time_reports_validate(
        rows=[row(kind="treatment", treatment=nza_name, specialism=None)], actor=actor, today=TODAY
    )
    assert errors == []
    assert resolved[0].treatment_id == treatment.pk


def test_two_treatments_cannot_share_an_nza_name():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Treatment.objects.filter(code="vitrectomy").update(nza_name="cataract-OPERATIE")
    # Treatments without an NZa name are many.
    assert Treatment.objects.filter(nza_name="").count() > 1


def test_specialism_must_match_the_treatments(actor):
    [(_row, field, message)] = errors_of(
        [row(kind="treatment", treatment="cataract", specialism="0305")], actor
    )
    assert field == "specialism"
    assert message == "The treatment “cataract” belongs to specialism 0301, not 0305."
    assert errors_of([row(kind="treatment", treatment="cataract", specialism="0301")], actor) == []


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-1, "A wait cannot be negative."),
        ("-3", "A wait cannot be negative."),
        ("abc", "The wait must be a whole number of days."),
        ("12.5", "The wait must be a whole number of days."),
        (12.0, "The wait must be a whole number of days."),
        (True, "The wait must be a whole number of days."),
        (
            MAX_PLAUSIBLE_WAIT_DAYS + 1,
            f"A wait of more than 3 years ({MAX_PLAUSIBLE_WAIT_DAYS} days) is not plausible.",
        ),
        # More digits than Python converts (4,300: int() raises ValueError): a row error, not 500.
        (
            "9" * 5000,
            f"A wait of more than 3 years ({MAX_PLAUSIBLE_WAIT_DAYS} days) is not plausible.",
        ),
        (
            "+1" + "0" * 10,
            f"A wait of more than 3 years ({MAX_PLAUSIBLE_WAIT_DAYS} days) is not plausible.",
        ),
        ("-" + "9" * 5000, "A wait cannot be negative."),
    ],
)
def test_days_must_be_a_plausible_whole_number(actor, days, message):
    assert errors_of([row(days=days)], actor) == [(2, "days", message)]


def test_days_with_many_leading_zeros_is_still_its_number(actor):
    [resolved], errors = waiting_time_reports_validate(
        rows=[row(days="0" * 5000 + "30")], actor=actor, today=TODAY
    )
    assert errors == []
    assert resolved.days == 30


def test_days_at_the_limits_are_accepted(actor):
    assert (
        errors_of([row(days=0), row(3, days=MAX_PLAUSIBLE_WAIT_DAYS, kind="diagnostics")], actor)
        == []
    )


def test_days_and_insufficient_observations_exclude_each_other(actor):
    assert errors_of([row(days=12, insufficient_observations=True)], actor) == [
        (2, "days", "Give either a number of days or insufficient observations, not both.")
    ]
    assert errors_of([row(days=None, insufficient_observations=False)], actor) == [
        (2, "days", "A number of days is required (or mark insufficient observations).")
    ]
    assert errors_of([row(days="", insufficient_observations="ja")], actor) == []
    assert errors_of([row(days="", insufficient_observations="maybe")], actor) == [
        (2, "insufficient_observations", "Use true or false for insufficient observations.")
    ]


@pytest.mark.parametrize("value", ["17-11-2026", "2026-13-01", "yesterday", "2026-11-1"])
def test_malformed_reference_date(actor, value):
    [(_row, field, message)] = errors_of([row(reference_date=value)], actor)
    assert field == "reference_date"
    assert message == f"“{value}” is not a valid date: use YYYY-MM-DD."


def test_reference_date_in_the_future_or_missing(actor):
    assert errors_of([row(reference_date=TODAY + timedelta(days=1))], actor) == [
        (2, "reference_date", "The reference date 25 November 2026 is in the future.")
    ]
    assert errors_of([row(reference_date=TODAY)], actor) == []
    assert errors_of([row(reference_date="")], actor)[0][1] == "reference_date"


def test_duplicate_key_names_the_earlier_row(actor):
    rows = [
        row(2),
        row(3, kind="diagnostics"),
        row(4, days=31),  # same key as row 2
        row(5, reference_date=PEILDATUM - timedelta(days=14)),
    ]
    assert errors_of(rows, actor) == [
        (
            4,
            None,
            "Row 2 already has this location, kind, specialism or treatment and reference date.",
        )
    ]


def test_every_error_of_every_row_is_reported(actor):
    rows = [row(2, location="x", days=-1), row(3), row(4, reference_date="2026-02-30")]
    assert [(r, f) for r, f, _m in errors_of(rows, actor)] == [
        (2, "location"),
        (2, "days"),
        (4, "reference_date"),
    ]


def test_nza_reference_dates_are_tuesdays_of_even_weeks():
    assert nza_reference_date_on_or_before(date(2026, 11, 24)) == date(2026, 11, 24)  # week 48
    assert nza_reference_date_on_or_before(date(2026, 11, 23)) == date(2026, 11, 10)
    assert nza_reference_date_on_or_before(date(2026, 11, 30)) == date(2026, 11, 24)
    for offset in range(30):
        day = nza_reference_date_on_or_before(date(2026, 1, 1) + timedelta(days=offset))
        assert day.weekday() == 1 and day.isocalendar().week % 2 == 0


# --- Storing -------------------------------------------------------------------------------------
def test_record_creates_series_and_reports(actor, location, store_path):
    result = record(
        [
            row(2),
            row(3, kind="diagnostics", days=10),
            row(
                4,
                kind="treatment",
                treatment="cataract",
                specialism=None,
                days=None,
                insufficient_observations=True,
            ),
        ],
        actor,
    )
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert WaitingTimeSeries.objects.filter(location=location).count() == 3
    treatment_series = WaitingTimeSeries.objects.get(location=location, kind="treatment")
    assert treatment_series.specialism.code == "0301"
    assert treatment_series.current_reference_date == PEILDATUM
    assert treatment_series.current_days is None
    assert treatment_series.current_insufficient_observations is True
    report = WaitingTimeReport.objects.get(series__kind="first_visit")
    assert (report.days, report.source, report.reported_by) == (30, "api", actor.label)


def test_one_bad_row_stores_nothing(actor, location, store_path):
    with pytest.raises(WaitingTimeReportErrors) as caught:
        record([row(2), row(3, kind="diagnostics"), row(4, days=-5, kind="treatment")], actor)
    assert [e["row"] for e in caught.value.errors] == [4, 4]
    assert caught.value.as_dict()["errors"] == caught.value.errors
    assert WaitingTimeReport.objects.count() == 0
    assert WaitingTimeSeries.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="providers.waitingtimereport").exists()


def test_a_foreign_location_stores_nothing(actor, location, other_provider_org, store_path):
    LocationFactory(provider=other_provider_org.provider, code="07000001")
    with pytest.raises(WaitingTimeReportErrors):
        record([row(2), row(3, location="07000001")], actor)
    assert WaitingTimeReport.objects.count() == 0


def test_an_empty_submission_is_refused(actor):
    with pytest.raises(WaitingTimeReportErrors):
        record([], actor)


def test_correction_keeps_the_old_value_as_a_revision(actor, location, store_path):
    record([row(2, days=30)], actor, source=ReportSource.CSV)
    result = record([row(2, days=None, insufficient_observations=True)], actor)
    assert result.counts == {"created": 0, "updated": 1, "unchanged": 0}
    report = WaitingTimeReport.objects.get()
    assert (report.days, report.insufficient_observations, report.source) == (None, True, "api")
    [revision] = WaitingTimeRevision.objects.filter(report=report)
    assert (revision.days, revision.insufficient_observations, revision.source) == (
        30,
        False,
        "csv",
    )
    assert revision.replaced_by == actor.label

    result = record([row(2, days=None, insufficient_observations=True)], actor)
    assert result.counts == {"created": 0, "updated": 0, "unchanged": 1}
    assert WaitingTimeRevision.objects.count() == 1

    record([row(2, days=28)], actor)
    assert list(
        WaitingTimeRevision.objects.order_by("pk").values_list("days", "insufficient_observations")
    ) == [(30, False), (None, True)]


def test_current_figure_follows_the_newest_peildatum(actor, location, store_path):
    older = PEILDATUM - timedelta(days=14)
    record([row(2, days=30)], actor)
    series = WaitingTimeSeries.objects.get()
    assert (series.current_reference_date, series.current_days) == (PEILDATUM, 30)

    # A correction of an older peildatum leaves the current figure alone ...
    record([row(2, days=50, reference_date=older)], actor)
    series.refresh_from_db()
    assert (series.current_reference_date, series.current_days) == (PEILDATUM, 30)
    record([row(2, days=51, reference_date=older)], actor)
    series.refresh_from_db()
    assert series.current_days == 30

    # ... a correction of the current one changes it ...
    record([row(2, days=33)], actor)
    series.refresh_from_db()
    assert (series.current_reference_date, series.current_days) == (PEILDATUM, 33)

    # ... and a newer peildatum replaces it; within one submission the newest row wins.
    record([row(2, days=40, reference_date=TODAY), row(3, days=20, reference_date=older)], actor)
    series.refresh_from_db()
    assert (series.current_reference_date, series.current_days) == (TODAY, 40)
    assert WaitingTimeReport.objects.count() == 3


def test_existing_series_is_reused(actor, location, store_path):
    record([row(2)], actor)
    record([row(2, reference_date=PEILDATUM - timedelta(days=14))], actor)
    assert WaitingTimeSeries.objects.count() == 1
    assert WaitingTimeReport.objects.count() == 2


def test_one_audit_event_per_submission(actor, location, store_path):
    record([row(2), row(3, kind="diagnostics")], actor)
    [event] = AuditEvent.objects.filter(object_type="providers.waitingtimereport")
    assert event.action == "create"
    assert event.detail == {
        "source": "api",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }


def test_record_reports_progress(actor, location):
    seen: list[float] = []
    record([row(2)], actor, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_unknown_source_is_a_programming_error(actor):
    with pytest.raises(ValueError):
        waiting_time_reports_record(rows=[row()], actor=actor, source="fax", today=TODAY)


def _many_rows(count: int) -> list[WaitingTimeRow]:
    """``count`` distinct keys over two locations, several specialisms, kinds and peildatums."""
    specialisms = ["0301", "0302", "0303", "0305", "0306"]
    rows = []
    n = 2
    for cycle in range(40):
        for code in ("06020502", "06020503"):
            for specialism in specialisms:
                for kind in ("first_visit", "diagnostics"):
                    rows.append(
                        row(
                            n,
                            location=code,
                            specialism=specialism,
                            kind=kind,
                            days=n % 90,
                            reference_date=PEILDATUM - timedelta(days=14 * cycle),
                        )
                    )
                    n += 1
                    if len(rows) == count:
                        return rows
    raise AssertionError("not enough keys")


def test_queries_do_not_grow_with_the_number_of_rows(
    actor, location, second_location, store_path, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30) as small:
        record(_many_rows(10), actor)
    WaitingTimeReport.objects.all().delete()
    WaitingTimeSeries.objects.all().delete()
    with django_assert_max_num_queries(30) as large:
        record(_many_rows(200), actor)
    assert WaitingTimeReport.objects.count() == 200
    assert len(large.captured_queries) <= len(small.captured_queries) + 2

    # Corrections of 200 rows: still a bounded number of queries.
    rows = _many_rows(200)
    for one in rows:
        one.days = 100
    with django_assert_max_num_queries(30):
        result = record(rows, actor)
    assert result.counts == {"created": 0, "updated": 200, "unchanged": 0}
    assert WaitingTimeRevision.objects.count() == result.counts["updated"]


# --- Series --------------------------------------------------------------------------------------
def test_series_create(actor, location):
    cataract = Treatment.objects.get(code="cataract")
    series = waiting_time_series_create(
        actor=actor, location=location, kind="treatment", specialism=None, treatment=cataract
    )
    assert series.specialism_id == cataract.specialism_id
    assert series.current_reference_date is None
    with pytest.raises(series_service.ApplicationError):
        waiting_time_series_create(
            actor=actor, location=location, kind="treatment", specialism=None, treatment=cataract
        )
    orthopedics = Specialism.objects.get(code="0305")
    with pytest.raises(series_service.ApplicationError) as caught:
        waiting_time_series_create(
            actor=actor,
            location=location,
            kind="first_visit",
            specialism=orthopedics,
            treatment=cataract,
        )
    assert caught.value.field == "treatment"
    with pytest.raises(series_service.ApplicationError) as caught:
        waiting_time_series_create(
            actor=actor, location=location, kind="first_visit", specialism=None, treatment=None
        )
    assert caught.value.field == "specialism"


def test_series_create_refuses_a_foreign_location(actor, other_provider_org):
    foreign = LocationFactory(provider=other_provider_org.provider)
    with pytest.raises(series_service.ApplicationError):
        waiting_time_series_create(
            actor=actor,
            location=foreign,
            kind="first_visit",
            specialism=Specialism.objects.get(code="0305"),
            treatment=None,
        )
    assert not WaitingTimeSeries.objects.exists()


def test_impossible_location_codes_are_unknown_without_a_query_error(actor):
    for code in ("0602\x000502", "060205021234"):
        [(_row, field, message)] = errors_of([row(location=code)], actor)
        assert field == "location" and "Unknown location" in message
