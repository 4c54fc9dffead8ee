"""How insurers mediate, for the regulator (issue 14): per insurer and month of submission the
requests, the share helped, the median days gained and the share with first contact in time;
small cells suppressed; no patient data on the page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from mediation.models import CaseOutcome, CaseStatus
from mediation.selectors.insurer_outcomes import MIN_CELL, insurer_outcomes_aggregate
from tests.accounts.factories import InsurerFactory
from tests.mediation.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 12)


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def make_cases(insurer, month_day: date) -> list:
    """Seven requests submitted on ``month_day``: four finished (two placed with 30 and 50 days
    gained, one resolved at the current provider, one without an alternative), three open; first
    contact: four in time, one late, one not yet made but due, one not yet due."""
    submitted = moment(month_day)
    due = month_day + timedelta(days=2)
    finished = {"status": CaseStatus.CLOSED, "closed_at": submitted + timedelta(days=20)}
    specs = [
        {**finished, "outcome": CaseOutcome.PLACED, "days_gained": 30, "contact": due},
        {**finished, "outcome": CaseOutcome.PLACED, "days_gained": 50, "contact": due},
        {**finished, "outcome": CaseOutcome.RESOLVED_AT_CURRENT_PROVIDER, "contact": month_day},
        {**finished, "outcome": CaseOutcome.NO_ALTERNATIVE, "contact": due + timedelta(days=1)},
        {"status": CaseStatus.IN_PROGRESS, "contact": month_day},
        {"status": CaseStatus.SUBMITTED, "contact": None},
        {"status": CaseStatus.SUBMITTED, "contact": None, "due": TODAY + timedelta(days=1)},
    ]
    cases = []
    for spec in specs:
        contact = spec.pop("contact")
        cases.append(
            CaseFactory(
                insurer=insurer,
                submitted_at=submitted,
                first_contact_due=spec.pop("due", due),
                first_contact_at=moment(contact) if contact else None,
                **spec,
            )
        )
    return cases


def test_figures_per_insurer_and_month_of_submission() -> None:
    insurer = InsurerFactory(name="Zorgverzekeraar Een", uzovi="8801")
    make_cases(insurer, date(2026, 3, 2))

    outcomes = insurer_outcomes_aggregate(today=TODAY)

    [row] = outcomes.rows
    assert (row.insurer_uzovi, row.month_label, row.suppressed) == ("8801", "2026-03", False)
    assert (row.requests, row.finished, row.helped) == (7, 4, 3)
    assert row.helped_percentage == Decimal("75.0")
    assert row.median_days_gained == 40.0
    # Due or made: six (one is not due yet); in time: four.
    assert (row.first_contact_due, row.first_contact_met) == (6, 4)
    assert row.first_contact_met_percentage == Decimal("66.7")


def test_small_cells_are_suppressed() -> None:
    insurer = InsurerFactory(uzovi="8802")
    for _ in range(MIN_CELL - 1):
        CaseFactory(insurer=insurer, submitted_at=moment(date(2026, 2, 10)))
    make_cases(insurer, date(2026, 3, 2))

    rows = {row.month_label: row for row in insurer_outcomes_aggregate(today=TODAY).rows}

    assert rows["2026-02"].suppressed
    assert rows["2026-02"].requests is None and rows["2026-02"].helped_percentage is None
    assert not rows["2026-03"].suppressed


def test_requests_before_the_period_are_left_out() -> None:
    insurer = InsurerFactory(uzovi="8803")
    make_cases(insurer, date(2025, 3, 2))

    assert insurer_outcomes_aggregate(today=TODAY, months=12).rows == []


def test_the_page_shows_the_figures_without_patient_data(client, regulator) -> None:
    insurer = InsurerFactory(name="Zorgverzekeraar Twee", uzovi="8804")
    cases = make_cases(insurer, timezone.localdate().replace(day=1))
    client.force_login(regulator)

    response = client.get(reverse("mediation:regulator-outcomes"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Zorgverzekeraar Twee" in html
    assert "Bemiddeling door verzekeraars" in html
    assert "75 %" in html
    for case in cases:
        for value in (case.reference, case.full_name, case.policy_number, case.email):
            assert value not in html
    # Aggregates only: nothing of a case was read, so nothing is in the audit trail.
    assert not AuditEvent.objects.filter(case_reference__in=[c.reference for c in cases]).exists()
