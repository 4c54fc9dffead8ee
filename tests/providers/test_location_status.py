"""The planners' scale-down page: which urgency classes each own location accepts now."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditAction, AuditEvent
from tests.providers.factories import LocationFactory

pytestmark = pytest.mark.django_db

URL = reverse("providers:location-status")


@pytest.fixture
def web(client, planner):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(planner)
    return client


@pytest.fixture
def locations(provider_org):
    return [
        LocationFactory(provider=provider_org.provider, name="Aalst"),
        LocationFactory(
            provider=provider_org.provider, name="Beek", accepted_urgency_classes=[1, 2, 3]
        ),
    ]


@pytest.fixture
def foreign_location(other_provider_org):
    return LocationFactory(provider=other_provider_org.provider, name="Elders")


def test_the_page_shows_each_own_location_with_its_status(
    web, locations, foreign_location, provider_org
) -> None:
    LocationFactory(provider=provider_org.provider, name="Gesloten", is_active=False)

    response = web.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    aalst, beek = locations
    assert html.index("Aalst") < html.index("Beek")
    assert "Elders" not in html
    assert "Gesloten" not in html
    assert "Accepts all urgency classes" in html
    assert "Scaled down: accepts classes 1, 2, 3" in html
    # Each location has its own form, with its current classes ticked.
    assert f'name="{aalst.code}-accepted_urgency_classes" value="5"' in html
    assert (
        f'name="{beek.code}-accepted_urgency_classes" value="3" class="form-check-input" '
        f'id="id_{beek.code}-accepted_urgency_classes_2" checked'
    ) in html
    assert (
        f'name="{beek.code}-accepted_urgency_classes" value="4" class="form-check-input" '
        f'id="id_{beek.code}-accepted_urgency_classes_3" checked'
    ) not in html
    assert "mediated patients of class 3 only" in html


def test_scaling_down_a_location(web, locations) -> None:
    aalst, _beek = locations

    response = web.post(
        URL,
        {"location": aalst.code, f"{aalst.code}-accepted_urgency_classes": ["1", "2", "3"]},
        follow=True,
    )

    assert response.redirect_chain == [(URL, 302)]
    aalst.refresh_from_db()
    assert aalst.accepted_urgency_classes == [1, 2, 3]
    assert "The status of Aalst has been saved." in response.content.decode()
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(aalst.pk))
    assert event.detail["scale_down"] is True


def test_scaling_up_again(web, locations) -> None:
    _aalst, beek = locations

    web.post(
        URL,
        {"location": beek.code, f"{beek.code}-accepted_urgency_classes": ["1", "2", "3", "4", "5"]},
    )

    beek.refresh_from_db()
    assert beek.accepted_urgency_classes == [1, 2, 3, 4, 5]


def test_no_class_at_all_is_refused_next_to_that_locations_field(web, locations) -> None:
    aalst, beek = locations

    response = web.post(URL, {"location": beek.code})

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{beek.code}-accepted_urgency_classes_error"' in html
    assert "Choose at least one urgency class." in html
    assert f'id="id_{aalst.code}-accepted_urgency_classes_error"' not in html
    beek.refresh_from_db()
    assert beek.accepted_urgency_classes == [1, 2, 3]


def test_a_foreign_or_missing_location_is_404(web, locations, foreign_location) -> None:
    foreign = web.post(
        URL,
        {"location": foreign_location.code, f"{foreign_location.code}-accepted_urgency_classes": 1},
    )
    missing = web.post(URL, {"location": "99999998"})
    empty = web.post(URL, {})

    assert foreign.status_code == missing.status_code == empty.status_code == 404
    foreign_location.refresh_from_db()
    assert foreign_location.accepted_urgency_classes == [1, 2, 3, 4, 5]


def test_the_page_is_in_dutch_by_default(client, planner, locations) -> None:
    client.force_login(planner)

    html = client.get(URL).content.decode()

    assert '<html lang="nl"' in html
