"""The CSV import reads its file as a stream, checks each row as it comes and stores the checked
rows in chunks, all or nothing (issue 12, item 9): an error in the very last row of a big file
stores nothing, a failure while storing a later chunk takes the earlier chunks back, and the
errors stay in line order, capped, with duplicates naming the earlier line."""

from __future__ import annotations

import io
import math
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import translation

from accounts.actors import actor_for_user
from accounts.models import AuditEvent
from providers.models import ReportSource, WaitingTimeReport, WaitingTimeSeries
from providers.waiting_times import storage
from providers.waiting_times.csv_reader import WaitingTimeRow
from providers.waiting_times.imports import waiting_time_reports_import
from providers.waiting_times.storage import waiting_time_reports_record
from providers.waiting_times.validation import WaitingTimeReportErrors
from tests.providers.factories import LocationFactory
from tests.providers.test_trend_counts import direct_count, summary

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 24)
PEILDATUM = date(2026, 11, 17)
HEADER = "location,specialism,treatment,kind,days,insufficient_observations,reference_date\n"
SPECIALISMS = ["0301", "0302", "0303", "0305", "0306", "0307", "0310", "0313"]
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(params=["default", "orm"] if ON_POSTGRESQL else ["default"])
def store_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(storage, "_store_postgresql", storage._store_orm)
    return request.param


@pytest.fixture
def actor(planner, provider_org):
    LocationFactory(provider=provider_org.provider, code="06020502")
    LocationFactory(provider=provider_org.provider, code="06020503")
    return actor_for_user(planner)


def lines(count: int, *, days=lambda n: 10 + n % 50) -> list[str]:
    """``count`` distinct keys: two locations × specialisms × two kinds × peildatums back."""
    found = []
    per_cycle = 2 * len(SPECIALISMS) * 2
    for n in range(count):
        cycle, rest = divmod(n, per_cycle)
        location, rest = divmod(rest, 2 * len(SPECIALISMS))
        specialism, kind = divmod(rest, 2)
        found.append(
            f"0602050{2 + location},{SPECIALISMS[specialism]},,"
            f"{('first_visit', 'diagnostics')[kind]},{days(n)},,"
            f"{(PEILDATUM - timedelta(weeks=2 * cycle)).isoformat()}\n"
        )
    return found


def csv_file(body: list[str]) -> io.BytesIO:
    return io.BytesIO((HEADER + "".join(body)).encode())


def import_file(body: list[str], actor, **kwargs):
    return waiting_time_reports_import(file=csv_file(body), actor=actor, today=TODAY, **kwargs)


def store_calls(monkeypatch, all_new: list[bool] | None = None) -> list[int]:
    """Spy on the database's store function: the size of each chunk it is given (and whether it
    was told that every row is a new report)."""
    sizes: list[int] = []
    for name in ("_store_postgresql", "_store_orm"):
        real = getattr(storage, name)

        def spy(*, chunks, _real=real, **kwargs):
            def counted():
                for chunk in chunks:
                    sizes.append(len(chunk))
                    if all_new is not None:
                        all_new.append(kwargs["all_new"])
                    yield chunk

            return _real(chunks=counted(), **kwargs)

        monkeypatch.setattr(storage, name, spy)
    return sizes


def test_a_file_is_stored_in_chunks_with_the_same_outcome(actor, store_path, monkeypatch):
    # Figures stored before: the file corrects 10 of them and repeats 5 unchanged.
    waiting_time_reports_record(
        rows=[
            WaitingTimeRow(
                row=n, **dict(zip(("location", "specialism", "treatment", "kind", "days",
                                   "insufficient_observations", "reference_date"),
                                  line.strip().split(","), strict=True))
            )
            for n, line in enumerate(lines(15), start=2)
        ],
        actor=actor,
        source=ReportSource.WEB,
        today=TODAY,
    )  # fmt: skip
    monkeypatch.setattr(storage, "STORE_CHUNK_ROWS", 7)
    all_new: list[bool] = []
    sizes = store_calls(monkeypatch, all_new)
    body = lines(100, days=lambda n: 10 + n % 50 + (1 if n < 10 else 0))
    result = import_file(body, actor)
    assert sizes == [7] * 14 + [2]
    assert not any(all_new)  # corrections: each chunk looks for the reports it replaces
    assert result.counts == {"created": 85, "updated": 10, "unchanged": 5}
    assert result.rows == []  # a file's rows are not kept
    assert WaitingTimeReport.objects.count() == 100
    assert set(WaitingTimeReport.objects.values_list("source", flat=True)) == {"web", "csv"}
    # The current figure of every series is its newest row, across the chunks.
    for series in WaitingTimeSeries.objects.all():
        newest = series.reports.order_by("-reference_date").first()
        assert (series.current_reference_date, series.current_days) == (
            newest.reference_date,
            newest.days,
        )
    assert summary() == direct_count()
    assert AuditEvent.objects.filter(object_type="providers.waitingtimereport").count() == 2


def test_a_new_cycle_is_stored_as_new_reports_in_every_chunk(actor, store_path, monkeypatch):
    """Whether reports exist is asked once, before the first chunk: the rows an earlier chunk
    stored (here the same peildatum, split over two chunks) do not send the later chunks down the
    slow path of corrections."""
    monkeypatch.setattr(storage, "STORE_CHUNK_ROWS", 7)
    all_new: list[bool] = []
    sizes = store_calls(monkeypatch, all_new)
    result = import_file(lines(30), actor)
    assert sizes == [7, 7, 7, 7, 2]
    assert all_new == [True] * 5
    assert result.counts == {"created": 30, "updated": 0, "unchanged": 0}
    assert WaitingTimeReport.objects.count() == 30
    assert summary() == direct_count()


def test_an_error_in_the_last_row_of_a_big_file_stores_nothing(actor, monkeypatch):
    monkeypatch.setattr(storage, "STORE_CHUNK_ROWS", 1000)
    body = [*lines(20_000), "06020502,0305,,first_visit,-1,,2026-11-17\n"]
    with pytest.raises(WaitingTimeReportErrors) as caught:
        import_file(body, actor)
    assert caught.value.reported() == [
        {"row": 20_002, "field": "days", "message": "A wait cannot be negative."}
    ]
    assert not WaitingTimeReport.objects.exists()
    assert not WaitingTimeSeries.objects.exists()
    assert not AuditEvent.objects.filter(object_type="providers.waitingtimereport").exists()


def test_a_failure_while_storing_a_later_chunk_takes_the_earlier_chunks_back(actor, monkeypatch):
    monkeypatch.setattr(storage, "STORE_CHUNK_ROWS", 10)
    sizes = store_calls(monkeypatch)
    real_trend_changes = storage._trend_changes

    def failing(*, resolved, **kwargs):
        if len(sizes) == 3:  # the fourth chunk
            raise RuntimeError("the database went away")
        return real_trend_changes(resolved=resolved, **kwargs)

    monkeypatch.setattr(storage, "_trend_changes", failing)
    with pytest.raises(RuntimeError):
        import_file(lines(50), actor)
    assert len(sizes) == 3  # three chunks were written before the failure
    assert not WaitingTimeReport.objects.exists()
    assert not WaitingTimeSeries.objects.exists()


def test_errors_are_kept_up_to_the_limit_and_counted_beyond(actor):
    body = lines(600, days=lambda n: -1)
    with pytest.raises(WaitingTimeReportErrors) as caught:
        import_file(body, actor)
    error = caught.value
    assert len(error.errors) == 500  # the rest is only counted
    assert error.omitted == 100
    assert str(error) == "Nothing was stored: 600 errors were found."
    reported = error.reported()
    assert [item["row"] for item in reported[:500]] == list(range(2, 502))
    assert reported[500] == {"row": None, "field": None, "message": "… and 100 more errors."}


def test_a_duplicate_far_down_the_file_names_the_earlier_line(actor):
    body = lines(5000)
    body.append(body[8])  # line 10 again, as line 5002
    body.insert(3, "06020502,0305,,first_visit,x,,2026-11-17\n")  # line 5, moving line 10 to 11
    with pytest.raises(WaitingTimeReportErrors) as caught:
        import_file(body, actor)
    assert caught.value.reported() == [
        {"row": 5, "field": "days", "message": "The wait must be a whole number of days."},
        {
            "row": 5003,
            "field": None,
            "message": "Row 11 already has this location, kind, specialism or treatment and "
            "reference date.",
        },
    ]


def test_nza_errors_of_reading_and_of_checking_come_in_line_order(actor):
    data = (
        "TYPE_WACHTTIJD;WACHTTIJD;SPECIALISME;AGB_CODE_LOCATIE;PEILDATUM\n"
        "Diagnostiek;veel;Orthopedie (305);06020502;2026-11-17\n"
        "Spoed;3;Orthopedie (305);06020502;2026-11-17\n"
        "Diagnostiek;4;Orthopedie (305);06020502;2026-11-17\n"
        "Diagnostiek;5;Orthopedie (305);06020502;2026-11-17\n"
    ).encode("iso-8859-1")
    with pytest.raises(WaitingTimeReportErrors) as caught:
        waiting_time_reports_import(file=io.BytesIO(data), actor=actor, today=TODAY)
    assert [(e["row"], e["field"]) for e in caught.value.reported()] == [
        (2, "WACHTTIJD"),
        (3, "TYPE_WACHTTIJD"),
        (5, None),
    ]


def test_progress_runs_from_reading_to_storing(actor, monkeypatch):
    monkeypatch.setattr(storage, "STORE_CHUNK_ROWS", 2000)
    seen: list[float] = []
    import_file(lines(10_000), actor, progress=seen.append)
    reading = [fraction for fraction in seen if fraction <= 0.5]
    assert len(reading) >= 5 and reading == sorted(reading)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert math.isclose(max(reading), 0.5, abs_tol=0.05)
