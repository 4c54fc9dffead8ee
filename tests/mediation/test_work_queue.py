"""A mediator's work queue (issue 13): free-text search (web and API), the days-waited, offer-expiry
and last-activity columns, sorting by column, and assigning cases to a colleague, one or in bulk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import AuditAction, AuditEvent, AuditOutcome, Role
from core.errors import ApplicationError
from mediation.models import CaseEvent, CaseEventKind, CaseStatus
from mediation.selectors.cases import case_queue_for, case_search_condition
from mediation.services.cases import case_assign_bulk
from tests.accounts.factories import member
from tests.mediation.factories import CaseEventFactory, CaseFactory, OfferFactory

pytestmark = pytest.mark.django_db

QUEUE = "/bemiddeling/zaken/"


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _queue(actor, **kwargs):
    return list(case_queue_for(actor=actor, today=timezone.localdate(), **kwargs))


# --- Search ---------------------------------------------------------------------------------------
@pytest.fixture
def people(insurer, other_insurer):
    return {
        "jansen": CaseFactory(
            insurer=insurer,
            full_name="Jan de Jansen",
            policy_number="POL123456",
            email="J.Jansen@Example.org",
        ),
        "pietersen": CaseFactory(
            insurer=insurer,
            full_name="Piet Pietersen",
            policy_number="ABC999",
            email="piet@voorbeeld.nl",
        ),
        "foreign": CaseFactory(
            insurer=other_insurer,
            full_name="Jan Jansen",
            policy_number="POL123456",
            email="jan@example.org",
        ),
    }


@pytest.mark.parametrize(
    "text",
    ["jansen", "JANSEN", "jan jansen", "pol123", "j.jansen@example", "EXAMPLE.ORG", "  jansen  "],
)
def test_search_finds_by_name_policy_number_and_email_case_insensitively(mediator, people, text):
    found = _queue(actor_for_user(mediator), search=text)

    assert [case.pk for case in found] == [people["jansen"].pk]


def test_search_by_reference_exact_and_partial(mediator, people):
    actor = actor_for_user(mediator)
    reference = people["pietersen"].reference

    assert [c.pk for c in _queue(actor, search=reference.lower())] == [people["pietersen"].pk]
    assert [c.pk for c in _queue(actor, search=reference[-6:])] == [people["pietersen"].pk]


def test_every_word_must_match_and_foreign_cases_are_never_found(mediator, people):
    actor = actor_for_user(mediator)

    assert _queue(actor, search="jan pietersen") == []
    assert _queue(actor, search="jan@example.org") == []  # the other insurer's patient


def test_a_whole_reference_uses_the_exact_lookup():
    condition = case_search_condition("zb-2026-000123")

    assert condition.children == [("reference", "ZB-2026-000123")]


def test_anonymised_cases_are_not_found_by_their_former_name(mediator, insurer):
    CaseFactory(
        insurer=insurer, full_name="", email="", policy_number="", anonymised_at=timezone.now()
    )

    assert _queue(actor_for_user(mediator), search="a") == []


def test_web_search_keeps_the_other_filters(english, mediator, insurer, people):
    CaseFactory(insurer=insurer, full_name="Jan Drie", urgency_class=3)
    english.force_login(mediator)

    html = english.get(QUEUE, {"search": "jan", "urgency_class": "3"}).content.decode()

    assert "Jan Drie" in html and "Jan de Jansen" not in html


def test_api_search(api_client, mediator, people):
    api_client.force_authenticate(mediator)

    response = api_client.get("/api/v1/cases/", {"search": "Jansen"})

    assert response.status_code == 200
    assert [row["reference"] for row in response.data["results"]] == [people["jansen"].reference]


@pytest.mark.parametrize("value", ["", "   ", "x" * 101])
def test_api_search_refuses_an_empty_or_too_long_text(api_client, mediator, value):
    api_client.force_authenticate(mediator)

    response = api_client.get("/api/v1/cases/", {"search": value})

    assert response.status_code == 400 and "search" in response.data


# --- Columns and sorting --------------------------------------------------------------------------
def test_queue_shows_days_waited_offer_expiry_and_last_activity(english, mediator, insurer):
    today = timezone.localdate()
    case = CaseFactory(
        insurer=insurer, status=CaseStatus.OFFERED, waiting_since=today - timedelta(days=123)
    )
    expires = timezone.now() + timedelta(days=3)
    OfferFactory(case=case, expires_at=expires)
    OfferFactory(case=case, expires_at=expires + timedelta(days=2))
    OfferFactory(case=case, expires_at=expires - timedelta(days=1), status="declined")
    CaseEventFactory(case=case, at=timezone.now() - timedelta(days=5))
    english.force_login(mediator)

    html = english.get(QUEUE).content.decode()
    row = _queue(actor_for_user(mediator), with_activity=True)[0]

    assert 'data-days-waited="123"' in html and "123 days" in html
    assert row.offer_expires_at == expires  # the earliest of the open offers
    assert row.last_activity_at == CaseEvent.objects.filter(case=case).latest("at").at
    assert timezone.localtime(expires).strftime("%H:%M") in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-waited", ["long", "mid", "short"]),
        ("waited", ["short", "mid", "long"]),
        ("expires", ["mid", "short", "long"]),  # no open offer: last
        ("-expires", ["short", "mid", "long"]),
        ("-activity", ["short", "long", "mid"]),
        ("reference", ["long", "mid", "short"]),
    ],
)
def test_sorting_by_a_column(mediator, insurer, sort, expected):
    today = timezone.localdate()
    now = timezone.now()
    cases = {
        name: CaseFactory(insurer=insurer, waiting_since=today - timedelta(days=days))
        for name, days in (("long", 300), ("mid", 100), ("short", 10))
    }
    OfferFactory(case=cases["mid"], expires_at=now + timedelta(days=1))
    OfferFactory(case=cases["short"], expires_at=now + timedelta(days=2))
    CaseEventFactory(case=cases["mid"], at=now - timedelta(days=9))
    CaseEventFactory(case=cases["long"], at=now - timedelta(days=3))
    CaseEventFactory(case=cases["short"], at=now - timedelta(days=1))
    names = {case.pk: name for name, case in cases.items()}

    found = _queue(actor_for_user(mediator), sort=sort)

    assert [names[case.pk] for case in found] == expected


def test_an_unknown_sort_key_is_the_default_order(english, mediator, insurer):
    today = timezone.localdate()
    fresh = CaseFactory(insurer=insurer)
    late = CaseFactory(insurer=insurer, first_contact_due=today - timedelta(days=2))
    english.force_login(mediator)

    response = english.get(QUEUE, {"sort": "full_name; drop table"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(late.reference) < html.index(fresh.reference)


def test_sort_links_keep_filters_and_drop_the_page(english, mediator, insurer):
    CaseFactory(insurer=insurer, urgency_class=3)
    english.force_login(mediator)

    html = english.get(QUEUE, {"urgency_class": "3", "page": "1", "sort": "-waited"}).content
    html = html.decode()

    # The sorted column links to the other direction and is marked for screen readers.
    assert 'aria-sort="descending"' in html
    assert 'href="?urgency_class=3&amp;sort=waited"' in html
    assert 'href="?urgency_class=3&amp;sort=expires"' in html
    # The filter form carries the sort on.
    assert 'name="sort" value="-waited"' in html


# --- Assigning ------------------------------------------------------------------------------------
@pytest.fixture
def colleague(insurer):
    return member(Role.MEDIATOR, insurer, first_name="Corrie", last_name="Collega")


def test_reassign_one_case_to_a_colleague(english, mediator, colleague, insurer):
    case = CaseFactory(insurer=insurer, assigned_to=mediator)
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-assign", args=[case.reference]), {"assigned_to": colleague.pk}
    )

    case.refresh_from_db()
    assert response.status_code == 302 and case.assigned_to == colleague
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.ASSIGNED).get().note == (
        "Corrie Collega"
    )
    assert AuditEvent.objects.filter(
        case_reference=case.reference, detail__operation="case_assign"
    ).exists()


@pytest.mark.parametrize("who", ["other_insurers_mediator", "planner_of_same_org", "inactive"])
def test_cannot_assign_to_anyone_but_an_active_mediator_of_the_insurer(
    english, mediator, insurer, other_insurer, who
):
    target = {
        "other_insurers_mediator": lambda: member(Role.MEDIATOR, other_insurer),
        "planner_of_same_org": lambda: member(Role.CONTRACT_MANAGER, insurer),
        "inactive": lambda: member(Role.MEDIATOR, insurer, is_active=False),
    }[who]()
    case = CaseFactory(insurer=insurer)
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-assign", args=[case.reference]),
        {"assigned_to": target.pk},
        follow=True,
    )

    case.refresh_from_db()
    assert case.assigned_to is None
    assert "Choose a mediator of your insurer." in response.content.decode()


def test_bulk_assign_the_ticked_cases(english, mediator, colleague, insurer):
    first, second, untouched = (CaseFactory(insurer=insurer) for _ in range(3))
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-bulk-assign"),
        {
            "references": [first.reference, second.reference],
            "assigned_to": colleague.pk,
            "next": f"{QUEUE}?urgency_class=4",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{QUEUE}?urgency_class=4"
    assert "2 cases assigned to Corrie Collega." in response.content.decode()
    for case in (first, second, untouched):
        case.refresh_from_db()
    assert first.assigned_to == second.assigned_to == colleague
    assert untouched.assigned_to is None
    assert AuditEvent.objects.filter(detail__operation="case_assign").count() == 2


def test_bulk_assign_needs_csrf(mediator, insurer, colleague):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(mediator)
    case = CaseFactory(insurer=insurer)

    response = client.post(
        reverse("mediation:case-bulk-assign"),
        {"references": [case.reference], "assigned_to": colleague.pk},
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assigned_to is None


def test_bulk_assign_with_a_foreign_reference_is_404_changes_nothing_and_is_audited(
    client, mediator, colleague, insurer, other_insurer
):
    own = CaseFactory(insurer=insurer)
    foreign = CaseFactory(insurer=other_insurer)
    client.force_login(mediator)

    response = client.post(
        reverse("mediation:case-bulk-assign"),
        {"references": [own.reference, foreign.reference], "assigned_to": colleague.pk},
    )

    assert response.status_code == 404
    own.refresh_from_db()
    assert own.assigned_to is None
    assert AuditEvent.objects.filter(
        outcome=AuditOutcome.DENIED, case_reference=foreign.reference
    ).exists()


def test_bulk_assign_without_ticked_cases_says_so(english, mediator, colleague):
    english.force_login(mediator)

    response = english.post(
        reverse("mediation:case-bulk-assign"), {"assigned_to": colleague.pk}, follow=True
    )

    assert "Tick the cases to assign." in response.content.decode()


def test_bulk_assign_is_all_or_nothing(mediator, colleague, insurer):
    open_case = CaseFactory(insurer=insurer)
    closed = CaseFactory(insurer=insurer, status=CaseStatus.CLOSED, outcome="out_of_scope")

    with pytest.raises(ApplicationError, match=closed.reference):
        case_assign_bulk(cases=[open_case, closed], user=colleague, actor=actor_for_user(mediator))

    open_case.refresh_from_db()
    assert open_case.assigned_to is None


def test_queue_offers_only_the_insurers_mediators_to_assign_to(
    english, mediator, colleague, insurer, other_insurer
):
    CaseFactory(insurer=insurer)
    stranger = member(Role.MEDIATOR, other_insurer, first_name="Stefan", last_name="Vreemd")
    english.force_login(mediator)

    html = english.get(QUEUE).content.decode()

    assert "Corrie Collega" in html and "Stefan Vreemd" not in html
    bulk_form = html[html.index('id="bulk-assign-form"') :]
    bulk_form = bulk_form[: bulk_form.index("</form>")]
    assert f'value="{stranger.pk}"' not in bulk_form
    assert AuditEvent.objects.filter(action=AuditAction.LIST).exists()


def test_large_counts_have_thousands_separators(rf):
    """Counts read "12.345 zaken", not "12345 zaken" (issue 13: thousands separators)."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.utils import translation

    page = SimpleNamespace(paginator=SimpleNamespace(count=12345), object_list=[])
    with translation.override("nl"):
        html = render_to_string(
            "mediation/case_list_results.html", {"page": page}, request=rf.get("/")
        )
    assert "12.345 zaken" in " ".join(html.split())
