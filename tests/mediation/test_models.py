"""The overdue rule (DESIGN §3.3) is written twice in mediation/models.py, as a query condition
(``overdue_condition``, used by the work queue and the outcomes dashboard) and for one case in
memory (``Case.is_overdue_on``, used by the case page): both must name the same cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mediation.models import FINISHED_STATUSES, OPEN_STATUSES, Case, CaseOutcome, CaseStatus
from tests.accounts.factories import InsurerFactory
from tests.mediation.factories import CaseFactory
from tests.providers.factories import LocationFactory, SpecialismFactory

pytestmark = pytest.mark.django_db


def test_the_query_and_the_case_agree_on_which_cases_are_overdue() -> None:
    today = timezone.localdate()
    shared = {
        "insurer": InsurerFactory(),
        "current_location": LocationFactory(),
        "specialism": SpecialismFactory(),
    }
    cases = [
        CaseFactory(
            status=status,
            outcome=CaseOutcome.PLACED if status in FINISHED_STATUSES else "",
            first_contact_at=contact,
            first_contact_due=today + timedelta(days=offset),
            **shared,
        )
        for status in CaseStatus
        for contact in (None, timezone.now())
        for offset in (-1, 0, 1)
    ]
    # Open, no first contact, due yesterday: one case per open status.
    expected = {
        case.pk
        for case in cases
        if case.status in OPEN_STATUSES
        and case.first_contact_at is None
        and case.first_contact_due == today - timedelta(days=1)
    }
    assert len(expected) == len(OPEN_STATUSES)

    in_memory = {case.pk for case in Case.objects.all() if case.is_overdue_on(today)}
    by_query = set(Case.objects.overdue(today=today).values_list("pk", flat=True))
    annotated = {
        case.pk
        for case in Case.objects.with_overdue(today=today)
        if case.is_overdue  # type: ignore[attr-defined]
    }

    assert in_memory == by_query == annotated == expected
