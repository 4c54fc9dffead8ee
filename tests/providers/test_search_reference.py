"""The search's reference data in memory (``providers.search.snapshot``): reused while
the database's stamp is unchanged, read again after any change to its tables, whatever made the
change, and never a state that the current connection does not see."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from providers.models import (
    Location,
    Norm,
    PostcodeArea,
    ReferenceStamp,
    Region,
    Specialism,
    Treatment,
)
from providers.reference import stamp as reference_stamp
from providers.reference.stamp import WATCHED_TABLES
from providers.search.selectors import UnknownPostcode, waiting_time_current_list
from providers.search.snapshot import (
    SOURCE_MODELS,
    search_reference,
    search_reference_forget,
)
from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def token() -> str:
    return ReferenceStamp.objects.get(pk=1).token


@pytest.fixture
def utrecht_series():
    """A first-visit orthopedics figure at a location in Utrecht (PC4 3511)."""
    location = LocationFactory(
        postcode="3511AB", latitude=Decimal("52.090000"), longitude=Decimal("5.120000")
    )
    return WaitingTimeSeriesFactory(
        location=location,
        specialism=Specialism.objects.get(code="0305"),
        current_days=20,
        current_reference_date=TODAY - timedelta(days=3),
    )


def search(**kwargs):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("specialism_code", "0305")
    return list(waiting_time_current_list(**kwargs))


def installed_triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        return {name for (name,) in cursor.fetchall()}


def test_the_triggers_watch_exactly_the_tables_of_the_snapshot():
    assert {model._meta.db_table for model in SOURCE_MODELS} == set(WATCHED_TABLES)


@pytest.mark.parametrize("table", WATCHED_TABLES)
def test_every_table_of_the_snapshot_has_its_triggers(table):
    # SQLite drops a table's triggers when a migration rebuilds it: this catches a lost one.
    assert reference_stamp.trigger_names(table, connection.vendor) <= installed_triggers(table)


def test_an_unchanged_snapshot_costs_one_primary_key_read(django_assert_num_queries):
    first = search_reference()
    with django_assert_num_queries(1):
        again = search_reference()
    assert again is first


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda: Norm.objects.filter(kind="first_visit").update(max_days=30), id="update"
        ),
        pytest.param(
            lambda: Specialism.objects.filter(code="0305").update(name="Orthopedie (nieuw)"),
            id="rename",
        ),
        pytest.param(
            lambda: PostcodeArea.objects.create(
                pc4="9999", place="Nergens", latitude=Decimal("53.1"), longitude=Decimal("6.1")
            ),
            id="insert",
        ),
        pytest.param(lambda: Treatment.objects.filter(code="cataract").delete(), id="delete"),
        pytest.param(lambda: Region.objects.bulk_create([Region(code="XX", name="X")]), id="bulk"),
        pytest.param(
            lambda: connection.cursor().execute(
                "UPDATE providers_specialism SET name = name WHERE code = '0305'"
            ),
            id="raw-sql",
        ),
    ],
)
def test_any_statement_on_the_tables_renews_the_stamp(change):
    before = token()
    change()
    assert token() != before


def test_the_series_do_not_renew_the_stamp(utrecht_series):
    # Waiting times change every two weeks per series; the snapshot stays.
    before = token()
    utrecht_series.current_days = 25
    utrecht_series.save()
    assert token() == before


def test_a_deactivated_location_drops_out_of_the_next_search(utrecht_series):
    assert len(search(postcode="3511")) == 1

    Location.objects.filter(pk=utrecht_series.location_id).update(is_active=False)

    assert search(postcode="3511") == []


def test_a_scale_down_status_shows_in_the_next_search(utrecht_series):
    location = utrecht_series.location
    assert search(postcode="3511")[0].location.accepts_mediation

    location.accepted_urgency_classes = [1, 2, 3]
    location.save()

    [row] = search(postcode="3511")
    assert row.location.accepted_urgency_classes == (1, 2, 3)
    assert not row.location.accepts_mediation


def test_an_edited_norm_and_a_new_postcode_apply_at_once(utrecht_series):
    assert search(postcode="3511")[0].exceeds_norm is False
    with pytest.raises(UnknownPostcode):
        search(postcode="3599")

    Norm.objects.filter(kind="first_visit").update(target_days=10, max_days=14)
    PostcodeArea.objects.create(
        pc4="3599", place="Proefdorp", latitude=Decimal("52.09"), longitude=Decimal("5.12")
    )

    [row] = search(postcode="3599")
    assert (row.norm_target_days, row.norm_max_days, row.exceeds_norm) == (10, 14, True)
    assert row.distance_km == pytest.approx(0, abs=0.01)


def test_a_rolled_back_change_is_not_kept(utrecht_series):
    before = token()
    with pytest.raises(RuntimeError), transaction.atomic():
        Location.objects.filter(pk=utrecht_series.location_id).update(is_active=False)
        # Inside the transaction the search sees (and loads) the uncommitted state...
        assert search(postcode="3511") == []
        raise RuntimeError("rolled back")

    # ... and after the rollback the stamp is the old one again, so that state is not reused.
    assert token() == before
    assert len(search(postcode="3511")) == 1


def test_a_lost_stamp_row_is_written_again(utrecht_series):
    search(postcode="3511")
    ReferenceStamp.objects.all().delete()  # what a test's flush of every table does

    assert len(search(postcode="3511")) == 1
    assert ReferenceStamp.objects.filter(pk=1).exists()
    # Changes are noticed again from then on.
    Location.objects.filter(pk=utrecht_series.location_id).update(is_active=False)
    assert search(postcode="3511") == []


def test_a_process_without_a_snapshot_reads_one(utrecht_series, django_assert_num_queries):
    search_reference_forget()
    with django_assert_num_queries(8):  # stamp, 6 tables, then the series
        assert len(search(postcode="3511")) == 1
