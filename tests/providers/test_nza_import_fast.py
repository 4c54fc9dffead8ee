"""The national import's PostgreSQL fast path (issue 14, ``providers.nza.fast``) gives the same
results as the line-by-line path: the same files imported through both (the second in a database
rolled back to the same start) give the same result, the same rows and the same trend counts.
PostgreSQL only (SQLite has only the line-by-line path)."""

from __future__ import annotations

import io
import logging
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from accounts.actors import actor_for_system
from providers.models import (
    Location,
    Provider,
    RegionTrendCount,
    Treatment,
    WaitingTimeReport,
    WaitingTimeRevision,
    WaitingTimeSeries,
)
from providers.nza import services
from providers.nza.fast import FastPathUnsafe
from tests.providers.factories import LocationFactory, ProviderFactory, RegionFactory
from tests.providers.test_nza_import import (
    HEADER,
    NEW_PROVIDER,
    ON_POSTGRESQL,
    TODAY,
    _provider_report,
    line,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="the fast path is PostgreSQL's"),
]

OTHER = "06555002;Kliniek Tweede;Kliniek;;06555102;Tweede Locatie;Weg;1;3584 CX;Utrecht"  # no ROAZ
BAD_POSTCODE = "06555003;Kliniek Nergens;Kliniek;;06555103;Nergens;Weg;1;XX;Nergens"


def national(*lines: str) -> bytes:
    return ("\r\n".join([HEADER, *lines]) + "\r\n").encode("iso-8859-1")


def snapshot() -> dict[str, Any]:
    """The database's national data by natural keys (ids differ between the two runs)."""
    series_key = ("location__code", "kind", "specialism__code", "treatment__code")
    return {
        "providers": sorted(
            Provider.objects.values_list(
                "agb_code", "name", "kind", "region__code", "kvk_number", "nza_reference_date"
            )
        ),
        "locations": sorted(
            Location.objects.values_list(
                "code",
                "provider__agb_code",
                "name",
                "street",
                "postcode",
                "city",
                "latitude",
                "longitude",
                "nza_reference_date",
            )
        ),
        "treatments": sorted(
            Treatment.objects.values_list(
                "code", "name", "nza_name", "nza_number", "specialism__code", "setting"
            )
        ),
        "series": sorted(
            WaitingTimeSeries.objects.values_list(
                *series_key,
                "current_reference_date",
                "current_days",
                "current_insufficient_observations",
                "current_origin",
            ),
            key=str,
        ),
        "reports": sorted(
            WaitingTimeReport.objects.values_list(
                *(f"series__{name}" for name in series_key),
                "reference_date",
                "days",
                "insufficient_observations",
                "source",
                "origin",
                "reported_by",
            ),
            key=str,
        ),
        "revisions": sorted(
            WaitingTimeRevision.objects.values_list(
                *(f"report__series__{name}" for name in series_key),
                "report__reference_date",
                "days",
                "insufficient_observations",
                "origin",
                "replaced_by",
            ),
            key=str,
        ),
        "trend": sorted(
            RegionTrendCount.objects.values_list(
                "region__code", "reference_date", "kind", "setting", "days", "reports"
            )
        ),
    }


def outcome(result) -> dict[str, Any]:
    return {"counts": result.counts, "skipped_lines": result.skipped_lines}


def import_all(files: list[bytes]) -> list[dict[str, Any]]:
    return [
        outcome(
            services.nza_waiting_times_import(
                file=io.BytesIO(content), actor=actor_for_system("test"), today=TODAY
            )
        )
        for content in files
    ]


class _Rollback(Exception):
    pass


def both_paths(files: list[bytes], monkeypatch) -> tuple[Any, Any, int]:
    """(line-by-line results and data, fast results and data, imports the fast path did)."""

    def refuse(**kwargs: Any) -> Any:
        raise FastPathUnsafe("forced by the test")

    slow: Any = None
    try:
        with transaction.atomic(), monkeypatch.context() as patched:
            patched.setattr(services, "nza_import_fast", refuse)
            slow = (import_all(files), snapshot())
            raise _Rollback
    except _Rollback:
        pass
    done = 0
    real = services.nza_import_fast

    def counted(**kwargs: Any) -> Any:
        nonlocal done
        result = real(**kwargs)
        done += 1
        return result

    monkeypatch.setattr(services, "nza_import_fast", counted)
    fast = (import_all(files), snapshot())
    return slow, fast, done


@pytest.fixture
def known(planner):
    """A known provider (to be moved to another region and renamed by the file) with a location
    whose provider reported its own first-visit figure on the peildatum."""
    provider = ProviderFactory(agb_code="06555004", region=RegionFactory(code="NAZL"))
    location = LocationFactory(provider=provider, code="06555104")
    own = LocationFactory(provider=planner.membership.organisation.provider, code="06555105")
    _provider_report(own, 20, planner)
    return provider, location, own


def test_a_mixed_history_gives_the_same_results_both_ways(known, monkeypatch):
    _provider, location, own = known
    moved = f"06555004;Ziekenhuis Verhuisd;Ziekenhuis;NAZ Noordwest;{location.code};;;;;"
    renamed = f"06555004;Ziekenhuis Hernoemd;Ziekenhuis;NAZ Noordwest;{location.code};;;;;"
    # First met after the others but with the oldest peildatum: it must not win.
    older = f"06555004;Ziekenhuis Oud;Kliniek;Traumacentrum Zuid;{location.code};Oud;;;;"
    own_where = f"{own.provider.agb_code};;;;{own.code};;;;;"
    treatment = "Fictieve knieoperatie met opname (orthopedie)"
    lines = []
    for n, peildatum in enumerate(("2026-10-27", "2026-11-24", "2026-09-29")):
        base = n * 100
        lines += [
            line(
                base + 1, "Polikliniekbezoek", str(30 + n), "Orthopedie (305)", peildatum=peildatum
            ),
            line(base + 2, "Diagnostiek", "12,0", "Orthopedie (305)", peildatum=peildatum),
            line(base + 3, "Diagnostiek", "", "Chirurgie (303)", peildatum=peildatum),  # Ja
            line(base + 4, "Behandeling", "40", "Orthopedie (305)", treatment, peildatum=peildatum),
            line(
                base + 5,
                "Polikliniekbezoek",
                "8",
                "Oogheelkunde (301)",
                where=OTHER,
                peildatum=peildatum,
            ),
            line(
                base + 6,
                "Polikliniekbezoek",
                "50",
                "Orthopedie (305)",
                where=own_where,
                peildatum=peildatum,
            ),
            line(
                base + 7,
                "Polikliniekbezoek",
                "9",
                "Chirurgie (303)",
                where=(renamed, moved, older)[n],
                peildatum=peildatum,
            ),
            # Skipped: unknown kind, bad postcode, days, unknown treatment and specialism.
            line(base + 8, "Onbekend", "5", "Orthopedie (305)", peildatum=peildatum),
            line(
                base + 9,
                "Polikliniekbezoek",
                "5",
                "Orthopedie (305)",
                where=BAD_POSTCODE,
                peildatum=peildatum,
            ),
            line(base + 10, "Polikliniekbezoek", "vijf", "Chirurgie (303)", peildatum=peildatum),
            line(
                base + 11,
                "Behandeling",
                "5",
                "Onbekend (999)",
                "Iets onbekends",
                peildatum=peildatum,
            ),
            # A duplicate of the first line.
            line(base + 12, "Polikliniekbezoek", "31", "Orthopedie (305)", peildatum=peildatum),
        ]
    lines.append(line(900, "Polikliniekbezoek", "9", "Chirurgie (303)", peildatum="2027-01-05"))
    lines.append(line(901, "Polikliniekbezoek", "-3", "Chirurgie (303)", peildatum="2026-11-24"))
    lines.append(line(902, "Polikliniekbezoek", "7", "Chirurgie (303)", peildatum="24-11-2026"))
    history = national(*lines)
    # A corrected figure later (revisions), and the same file again (nothing changes).
    corrected = national(
        line(1, "Polikliniekbezoek", "35", "Orthopedie (305)", peildatum="2026-11-24"),
        line(2, "Diagnostiek", "", "Orthopedie (305)", peildatum="2026-11-24"),
        line(3, "Diagnostiek", "10", "Oogheelkunde (301)", where=OTHER, peildatum="2026-11-24"),
    )
    slow, fast, done = both_paths([history, history, corrected, corrected], monkeypatch)
    assert done == 4
    assert fast == slow
    results, data = fast
    assert results[0]["counts"]["kept_provider"] == 1
    assert results[0]["counts"]["skipped"] > 0 and results[0]["skipped_lines"]
    assert results[1]["counts"]["created"] == results[1]["counts"]["updated"] == 0
    assert results[2]["counts"]["updated"] == 2 and results[2]["counts"]["created"] == 1
    assert results[3]["counts"]["updated"] == 0
    assert data["revisions"] and data["trend"]
    provider = Provider.objects.get(agb_code="06555004")
    assert (provider.name, provider.region.code) == ("Ziekenhuis Verhuisd", "NAZNHF")


def test_more_skipped_lines_than_reported(monkeypatch):
    # More than MAX_REPORTED_ERRORS (500) errors: the first ones listed, the rest counted.
    lines = [line(n, "Polikliniekbezoek", "vijf", "Chirurgie (303)") for n in range(1, 520)]
    lines += [line(600, "Polikliniekbezoek", "5", "Chirurgie (303)")] * 3  # duplicates
    slow, fast, done = both_paths([national(*lines)], monkeypatch)
    assert done == 1
    assert fast == slow
    counts = fast[0][0]["counts"]
    assert counts["skipped"] == 521 and counts["created"] == 1
    assert len(fast[0][0]["skipped_lines"]) == 501  # 500 and the line saying how many more


def test_a_location_created_by_a_later_line_falls_back_line_by_line(monkeypatch, caplog):
    # Line 1 cannot create the location (bad postcode), line 2 creates it, line 3 (same as
    # line 1) then finds it: only line by line does line 3 get its own answer.
    bad = NEW_PROVIDER.replace("2333 ZA", "XX")
    content = national(
        line(1, "Polikliniekbezoek", "30", "Orthopedie (305)", where=bad),
        line(2, "Diagnostiek", "12", "Orthopedie (305)"),
        line(3, "Polikliniekbezoek", "30", "Orthopedie (305)", where=bad, peildatum="2026-10-27"),
    )
    with caplog.at_level(logging.INFO, logger="providers.nza.services"):
        slow, fast, _done = both_paths([content], monkeypatch)
    assert fast == slow
    assert "line by line" in caplog.text
    assert fast[0][0]["counts"]["created"] == 2 and fast[0][0]["counts"]["skipped"] == 1


def test_new_providers_locations_and_treatments_are_created_in_the_same_order(monkeypatch):
    content = national(
        line(1, "Behandeling", "40", "Orthopedie (305)", "Fictief A (orthopedie)", where=OTHER),
        line(2, "Behandeling", "41", "Orthopedie (305)", "Fictief B (orthopedie)"),
        line(3, "Behandeling", "42", "Orthopedie (305)", "Fictief A (orthopedie)"),
    )
    slow, fast, done = both_paths([content], monkeypatch)
    assert done == 1
    assert fast == slow
    created = fast[0][0]["counts"]["treatments_created"]
    assert [(t["name"], t["row"]) for t in created] == [
        ("Fictief A (orthopedie)", "2"),
        ("Fictief B (orthopedie)", "3"),
    ]
    assert date(2026, 11, 24) == Provider.objects.get(agb_code="06555002").nza_reference_date


def test_blank_short_and_spaced_lines_read_the_same(monkeypatch):
    spaced = line(3, " Diagnostiek ", " 12 ", "  Orthopedie (305)", where=f" {NEW_PROVIDER}")
    content = national(
        line(1, "Polikliniekbezoek", "30", "Orthopedie (305)"),
        "",
        ";;;",
        spaced,
        "4;2026-11-24;Diagnostiek;7",  # too short: no specialism, location …
        line(5, "Diagnostiek", "12", "Orthopedie (305)", peildatum=" 2026-10-27 "),
    )
    slow, fast, done = both_paths([content], monkeypatch)
    assert done == 1
    assert fast == slow
    assert fast[0][0]["counts"]["created"] == 3 and fast[0][0]["counts"]["skipped"] == 1


def test_a_file_without_lines_gives_the_same_answer(monkeypatch):
    slow, fast, done = both_paths([national()], monkeypatch)
    assert done == 1
    assert fast == slow
    assert fast[0][0]["counts"]["created"] == 0


def test_the_overrun_refresh_follows_the_commit(monkeypatch, django_capture_on_commit_callbacks):
    from providers.nza import fast

    refreshed: list[list[int]] = []
    monkeypatch.setattr(fast, "_overruns_refresh", refreshed.append)
    with django_capture_on_commit_callbacks(execute=True):
        import_all(
            [
                national(
                    line(1, "Polikliniekbezoek", "30", "Orthopedie (305)"),
                    line(2, "Diagnostiek", "12", "Orthopedie (305)"),
                )
            ]
        )
    assert refreshed == [sorted(WaitingTimeSeries.objects.values_list("pk", flat=True))]
    assert len(refreshed[0]) == 2
