"""The case page within reach (issue 13): the top five matches with the rest one click away (no
JavaScript needed), the matches folded once an offer is open, offers / close / timeline in the side
column, and reassigning the case to a colleague from it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Role
from mediation.models import CaseStatus
from providers.models import Specialism
from tests.accounts.factories import member
from tests.mediation.factories import OfferFactory
from tests.mediation.test_api import ORTHOPAEDICS, amersfoort, matchable_case
from tests.providers.factories import WaitingTimeSeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _case_with_matches(insurer, count: int, **case_kwargs):
    case, _location = matchable_case(insurer, **case_kwargs)
    orthopaedics = Specialism.objects.get(code=ORTHOPAEDICS)
    for days in range(21, 20 + count):
        WaitingTimeSeriesFactory(location=amersfoort(), specialism=orthopaedics, current_days=days)
    return case


def _sections(html: str) -> tuple[str, str]:
    """The page's top matches and the rest shown after "show all"."""
    more = html.find('<ol class="list-unstyled match-list more-matches"')
    return (html, "") if more < 0 else (html[:more], html[more:])


def test_the_top_five_matches_and_the_rest_on_request(english, mediator, insurer):
    case = _case_with_matches(insurer, 8)
    english.force_login(mediator)
    url = reverse("mediation:case-detail", args=[case.reference])

    html = english.get(url).content.decode()

    # Only the top five are built and sent, with a link to the rest (no JavaScript needed).
    assert html.count('class="card mb-3 match"') == 5
    assert 'href="?matches=all#matches"' in html and "Show 3 more matches" in html
    # No offer yet: the matches are open.
    assert '<details class="matches-panel" open>' in html

    html = english.get(url, {"matches": "all"}).content.decode()
    top, more = _sections(html)
    assert top.count('class="card mb-3 match"') == 5
    assert more.count('class="card mb-3 match"') == 3
    assert "more-matches-link" not in html
    # Numbered on: the first one after the top five is number 6, with its own offer form.
    assert re.search(r">\s*6\. ", more)
    assert more.count('class="app-form mt-2 offer-form"') == 3


def test_five_or_fewer_matches_have_no_show_more(english, mediator, insurer):
    case = _case_with_matches(insurer, 5)
    english.force_login(mediator)

    html = english.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()

    assert html.count('class="card mb-3 match"') == 5
    assert "more-matches" not in html and "?matches=all" not in html


def test_the_matches_fold_away_once_an_offer_is_open(english, mediator, insurer):
    case = _case_with_matches(insurer, 2, status=CaseStatus.OFFERED)
    OfferFactory(case=case)
    english.force_login(mediator)

    html = english.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()

    assert '<details class="matches-panel">' in html  # closed, still openable
    assert "an offer is open" in html
    assert html.count('class="card mb-3 match"') == 2  # still there, inside the fold


def test_offers_close_and_timeline_are_in_the_side_column(english, mediator, insurer):
    case = _case_with_matches(insurer, 8)
    english.force_login(mediator)

    html = english.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()

    side = html[html.index('class="col-xl-4 case-side"') :]
    for anchor in ('id="offers"', 'id="close"', 'id="timeline"'):
        assert anchor in side
    assert reverse("mediation:case-note", args=[case.reference]) in side
    # The jump links reach them too.
    for target in ("#matches", "#offers", "#close", "#timeline"):
        assert f'href="{target}"' in html


def test_reassign_from_the_case_page_offers_only_colleagues(
    english, mediator, insurer, other_insurer
):
    case, _location = matchable_case(insurer)
    colleague = member(Role.MEDIATOR, insurer, first_name="Corrie", last_name="Collega")
    member(Role.MEDIATOR, other_insurer, first_name="Stefan", last_name="Vreemd")
    english.force_login(mediator)

    html = english.get(reverse("mediation:case-detail", args=[case.reference])).content.decode()
    form = html[html.index("case-reassign") :]
    form = form[: form.index("</form>")]

    assert f'value="{colleague.pk}"' in form and "Corrie Collega" in form
    assert "Stefan Vreemd" not in form


def test_the_other_location_select_is_written_once_per_version_of_the_locations(
    english, mediator, insurer
):
    """The ~800-location select of "offer another location" is kept once written; a new
    location (a new version of the reference data) is in the next page."""
    from django import forms

    from mediation.forms import LocationSelect, location_choices

    case = _case_with_matches(insurer, 1)
    english.force_login(mediator)
    url = reverse("mediation:case-detail", args=[case.reference])
    first = english.get(url).content.decode()
    plain = forms.Select(choices=location_choices()).render(
        "other-location", "", attrs={"id": "id_other-location"}
    )
    kept = LocationSelect(choices=location_choices).render(
        "other-location", "", attrs={"id": "id_other-location"}
    )
    assert kept == plain
    assert kept == LocationSelect(choices=location_choices).render(  # from what was kept
        "other-location", "", attrs={"id": "id_other-location"}
    )
    assert 'name="other-location"' in first

    amersfoort(name="Kliniek Nieuw Leusden", code="07999999")
    second = english.get(url).content.decode()
    assert 'value="07999999"' in second and 'value="07999999"' not in first
