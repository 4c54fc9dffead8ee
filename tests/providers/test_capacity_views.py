"""The planners' capacity pages: list, add, change, withdraw; and who may use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.actors import actor_for_user
from accounts.models import AuditAction, AuditEvent, Role
from providers.capacity.selectors import week_start_of
from providers.capacity.services import capacity_offer_create
from providers.models import CapacityOffer, Specialism
from providers.permissions import capacity_offer_list_for
from tests.accounts.factories import (
    InsurerFactory,
    ProviderOrganisationFactory,
    RegulatorFactory,
    member,
)
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("providers:capacity-offer-list")


def this_monday():
    return week_start_of(timezone.localdate())


@pytest.fixture
def web(client, planner):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(planner)
    return client


@pytest.fixture
def location(provider_org):
    return LocationFactory(provider=provider_org.provider, name="Hoofdlocatie")


@pytest.fixture
def foreign_location(other_provider_org):
    return LocationFactory(provider=other_provider_org.provider, name="Elders")


def make_offer(user, location, **overrides) -> CapacityOffer:
    values = {
        "actor": actor_for_user(user),
        "location": location,
        "specialism": Specialism.objects.get(code="0305"),
        "treatment": None,
        "kind": "first_visit",
        "week_start": this_monday() + timedelta(weeks=1),
        "slots": 9,
        "urgency_classes": [3, 4, 5],
    }
    values.update(overrides)
    return capacity_offer_create(**values)


def form_data(location, /, **overrides):
    values = {
        "location": location.code,
        "specialism": "0305",
        "kind": "first_visit",
        "treatment": "",
        "week_start": (this_monday() + timedelta(weeks=2)).isoformat(),
        "slots": "6",
        "urgency_classes": ["3", "4", "5"],
    }
    values.update(overrides)
    return values


# --- List ---------------------------------------------------------------------------------------
def test_the_list_shows_own_upcoming_offers_only(
    web, planner, location, foreign_location, other_provider_org
) -> None:
    own = make_offer(planner, location, slots=9)
    CapacityOffer.objects.filter(pk=own.pk).update(reserved_slots=2)
    past = CapacityOffer.objects.create(
        location=location,
        specialism=own.specialism,
        kind="diagnostics",
        week_start=this_monday() - timedelta(weeks=2),
        slots=77,
    )
    other = member(Role.PLANNER, other_provider_org)
    make_offer(other, foreign_location, slots=55)

    response = web.get(LIST_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hoofdlocatie" in html
    assert "Orthopedie" in html
    assert ">9<" in html and ">2<" in html and "<strong>7</strong>" in html
    assert "3, 4, 5" in html
    next_week = this_monday() + timedelta(weeks=1)
    assert f"Week {next_week.isocalendar().week} · from" in html
    assert "Elders" not in html
    assert ">55<" not in html
    assert ">77<" not in html, "past weeks are not listed"
    assert reverse("providers:capacity-offer-update", args=[own.pk]) in html
    assert reverse("providers:capacity-offer-withdraw", args=[own.pk]) not in html, (
        "an offer with reservations has no withdraw button"
    )
    assert reverse("providers:capacity-offer-update", args=[past.pk]) not in html


def test_the_form_offers_own_active_locations_and_eight_weeks(
    web, location, foreign_location, provider_org
) -> None:
    LocationFactory(provider=provider_org.provider, name="Gesloten", is_active=False)

    html = web.get(LIST_URL).content.decode()
    form = html.split('id="new-offer"')[1].split('id="offers-heading"')[0]

    assert f'value="{location.code}"' in form
    assert foreign_location.code not in form
    assert "Gesloten" not in form
    first = this_monday()
    for week in range(8):
        assert f'value="{(first + timedelta(weeks=week)).isoformat()}"' in form
    assert f'value="{(first + timedelta(weeks=8)).isoformat()}"' not in form
    assert 'value="total-knee-replacement"' in form
    # Mediation's classes are ticked by default.
    for value in ("3", "4", "5"):
        assert f'name="urgency_classes" value="{value}" class="form-check-input"' in form
    assert 'value="3" class="form-check-input" id="id_urgency_classes_2" checked' in form
    assert 'value="1" class="form-check-input" id="id_urgency_classes_0" checked' not in form


def test_the_nav_links_to_both_pages(web) -> None:
    html = web.get(LIST_URL).content.decode()

    assert f'href="{LIST_URL}"' in html
    assert f'href="{reverse("providers:location-status")}"' in html


# --- Add ----------------------------------------------------------------------------------------
def test_adding_an_offer_redirects_with_a_message(web, location) -> None:
    response = web.post(LIST_URL, form_data(location), follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    offer = CapacityOffer.objects.get()
    assert offer.slots == 6
    assert offer.week_start == this_monday() + timedelta(weeks=2)
    assert offer.urgency_classes == [3, 4, 5]
    assert "Your offer has been added" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(offer.pk)).exists()


def test_adding_a_treatment_offer(web, location) -> None:
    web.post(
        LIST_URL,
        form_data(location, kind="treatment", treatment="total-knee-replacement"),
    )

    assert CapacityOffer.objects.get().treatment.code == "total-knee-replacement"


def test_service_errors_appear_next_to_the_field_and_keep_the_input(web, location) -> None:
    response = web.post(
        LIST_URL,
        form_data(location, kind="treatment", treatment="cataract", slots="17"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert not CapacityOffer.objects.exists()
    assert 'id="id_treatment_error"' in html
    assert "belongs to specialism 0301" in html
    # Nothing typed is lost.
    assert 'value="17"' in html
    assert '<option value="cataract" selected>' in html
    assert '<option value="treatment" selected>' in html


def test_form_errors_name_each_field(web, location) -> None:
    response = web.post(
        LIST_URL, form_data(location, slots="0", urgency_classes=[], week_start="2020-01-06")
    )

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("slots", "urgency_classes", "week_start"):
        assert f'id="id_{field}_error"' in html, field
    assert "Choose at least one urgency class." in html


def test_a_duplicate_is_shown_above_the_form(web, planner, location) -> None:
    make_offer(planner, location, week_start=this_monday() + timedelta(weeks=2))

    response = web.post(LIST_URL, form_data(location))

    assert response.status_code == 400
    assert "already an offer" in response.content.decode()
    assert CapacityOffer.objects.count() == 1


def test_a_foreign_location_cannot_be_chosen(web, location, foreign_location) -> None:
    response = web.post(LIST_URL, form_data(location, location=foreign_location.code))

    assert response.status_code == 400
    assert 'id="id_location_error"' in response.content.decode()
    assert not CapacityOffer.objects.exists()


# --- Change -------------------------------------------------------------------------------------
def test_changing_an_offer(web, planner, location) -> None:
    offer = make_offer(planner, location, slots=9)
    url = reverse("providers:capacity-offer-update", args=[offer.pk])

    page = web.get(url)
    assert page.status_code == 200
    assert 'value="9"' in page.content.decode()

    response = web.post(url, {"slots": "4", "urgency_classes": ["3"]})

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.slots == 4
    assert offer.urgency_classes == [3]


def test_changing_below_the_reserved_slots_is_refused_next_to_the_field(
    web, planner, location
) -> None:
    offer = make_offer(planner, location, slots=9)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=5)
    url = reverse("providers:capacity-offer-update", args=[offer.pk])

    response = web.post(url, {"slots": "3", "urgency_classes": ["3", "4"]})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_slots_error"' in html
    assert "5 slots are already reserved" in html
    assert 'value="3"' in html
    offer.refresh_from_db()
    assert offer.slots == 9


def test_an_offer_of_a_past_week_is_shown_but_not_editable(web, location) -> None:
    past = CapacityOffer.objects.create(
        location=location,
        specialism=Specialism.objects.get(code="0305"),
        kind="first_visit",
        week_start=this_monday() - timedelta(weeks=1),
        slots=3,
    )
    url = reverse("providers:capacity-offer-update", args=[past.pk])

    html = web.get(url).content.decode()
    assert "can no longer be changed" in html
    assert 'name="slots"' not in html
    response = web.post(url, {"slots": "4", "urgency_classes": ["3"]})
    assert response.status_code == 400
    past.refresh_from_db()
    assert past.slots == 3


# --- Withdraw -----------------------------------------------------------------------------------
def test_withdrawing_an_offer(web, planner, location) -> None:
    offer = make_offer(planner, location)

    response = web.post(reverse("providers:capacity-offer-withdraw", args=[offer.pk]), follow=True)

    assert response.redirect_chain == [(LIST_URL, 302)]
    assert not CapacityOffer.objects.exists()
    assert "has been withdrawn" in response.content.decode()


def test_withdrawing_a_reserved_offer_is_refused_with_a_message(web, planner, location) -> None:
    offer = make_offer(planner, location)
    CapacityOffer.objects.filter(pk=offer.pk).update(reserved_slots=1)

    response = web.post(reverse("providers:capacity-offer-withdraw", args=[offer.pk]), follow=True)

    assert CapacityOffer.objects.filter(pk=offer.pk).exists()
    assert "already reserved" in response.content.decode()


def test_withdraw_needs_post(web, planner, location) -> None:
    offer = make_offer(planner, location)

    assert web.get(reverse("providers:capacity-offer-withdraw", args=[offer.pk])).status_code == 405
    assert CapacityOffer.objects.exists()


def test_another_providers_offer_is_404_for_change_and_withdraw(
    web, other_provider_org, foreign_location
) -> None:
    foreign = make_offer(member(Role.PLANNER, other_provider_org), foreign_location)

    withdraw = web.post(reverse("providers:capacity-offer-withdraw", args=[foreign.pk]))
    change_get = web.get(reverse("providers:capacity-offer-update", args=[foreign.pk]))
    change_post = web.post(
        reverse("providers:capacity-offer-update", args=[foreign.pk]),
        {"slots": "1", "urgency_classes": ["3"]},
    )
    missing = web.post(reverse("providers:capacity-offer-withdraw", args=[999_999]))

    assert withdraw.status_code == change_get.status_code == change_post.status_code == 404
    assert missing.status_code == 404
    foreign.refresh_from_db()
    assert foreign.slots == 9


# --- Access matrix ------------------------------------------------------------------------------
# Who, per organisation kind and role, may use the capacity pages and the API, and whose offers
# they see: planners their own provider's only; every other role nothing (403).
ROLES = [
    ("provider", Role.PLANNER, 200),
    ("provider", Role.PROVIDER_ADMIN, 403),
    ("insurer", Role.MEDIATOR, 403),
    ("insurer", Role.CONTRACT_MANAGER, 403),
    ("insurer", Role.INSURER_ADMIN, 403),
    ("regulator", Role.REGULATOR, 403),
]


@pytest.fixture
def two_providers():
    """Providers P and Q, each with a location and an offer."""
    world = {}
    for name in "PQ":
        org = ProviderOrganisationFactory()
        location = LocationFactory(provider=org.provider)
        offer = make_offer(member(Role.PLANNER, org), location)
        world[name] = (org, location, offer)
    return world


def _user_for(kind: str, role: str, world):
    organisation = {
        "provider": world["P"][0],
        "insurer": InsurerFactory(),
        "regulator": RegulatorFactory(),
    }[kind]
    return member(role, organisation)


@pytest.mark.parametrize(("kind", "role", "expected"), ROLES, ids=[r[1] for r in ROLES])
def test_access_matrix(client, api_client, two_providers, kind, role, expected) -> None:
    user = _user_for(kind, role, two_providers)
    _org_p, location_p, offer_p = two_providers["P"]
    _org_q, location_q, offer_q = two_providers["Q"]
    client.force_login(user)
    api_client.force_authenticate(user)

    pages = [
        client.get(LIST_URL),
        client.get(reverse("providers:location-status")),
        client.get(reverse("providers:capacity-offer-update", args=[offer_p.pk])),
    ]
    assert [page.status_code for page in pages] == [expected] * 3
    assert api_client.get("/api/v1/capacity-offers/").status_code == expected
    assert api_client.get(f"/api/v1/locations/{location_p.code}/status/").status_code == expected

    # Scoped selector: own offers only, for planners; nothing for anyone else.
    visible = set(capacity_offer_list_for(actor=actor_for_user(user)).values_list("pk", flat=True))
    assert visible == ({offer_p.pk} if expected == 200 else set())

    # The other provider's offer and location: 404 for a planner, 403 for the other roles.
    foreign = [
        client.get(reverse("providers:capacity-offer-update", args=[offer_q.pk])).status_code,
        client.post(reverse("providers:capacity-offer-withdraw", args=[offer_q.pk])).status_code,
        api_client.get(f"/api/v1/locations/{location_q.code}/status/").status_code,
    ]
    assert foreign == [404 if expected == 200 else 403] * 3
    assert CapacityOffer.objects.filter(pk=offer_q.pk).exists()
    if expected == 200:
        rows = api_client.get("/api/v1/capacity-offers/").json()["results"]
        assert [row["id"] for row in rows] == [offer_p.pk]
        assert location_q.code not in client.get(LIST_URL).content.decode()


def test_anonymous_visitors_go_to_the_login_page(client, two_providers) -> None:
    _org, _location, offer = two_providers["P"]
    for url in (
        LIST_URL,
        reverse("providers:location-status"),
        reverse("providers:capacity-offer-update", args=[offer.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(reverse("providers:capacity-offer-withdraw", args=[offer.pk]))
    assert response.status_code == 302
    assert CapacityOffer.objects.filter(pk=offer.pk).exists()


def test_the_admin_lists_offers_read_only(client, planner, location) -> None:
    from tests.accounts.factories import UserFactory

    offer = make_offer(planner, location)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    changelist = client.get("/admin/providers/capacityoffer/")
    assert changelist.status_code == 200
    assert location.name in changelist.content.decode()
    assert client.get("/admin/providers/capacityoffer/add/").status_code == 403
    client.post(f"/admin/providers/capacityoffer/{offer.pk}/delete/", {"post": "yes"})
    assert CapacityOffer.objects.filter(pk=offer.pk).exists()
    assert client.get("/admin/providers/location/").status_code == 200
