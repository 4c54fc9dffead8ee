"""API keys in the web UI: created by an organisation's admin, shown once, revocable, audited."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import ApiKey, AuditAction, AuditEvent
from accounts.services import api_key_create

pytestmark = pytest.mark.django_db

API_KEYS_URL = "/accounts/api-keys/"
NEW_KEY_RE = re.compile(r'<code class="api-key-value" id="new-api-key">(zb_[^<]+)</code>')


def create_key_in_ui(client, name: str = "EPD koppeling") -> str:
    response = client.post(API_KEYS_URL, {"name": name})
    assert response.status_code == 200
    match = NEW_KEY_RE.search(response.content.decode())
    assert match is not None, "the new key is shown on the response"
    return match.group(1)


def revoke_url(prefix: str) -> str:
    return reverse("accounts:api-key-revoke", kwargs={"prefix": prefix})


def test_admin_creates_a_key_that_is_shown_once_and_works(
    client, api_client, insurer_admin, insurer
):
    client.force_login(insurer_admin)

    raw_key = create_key_in_ui(client)

    assert raw_key.startswith("zb_")
    api_key = ApiKey.objects.get(organisation=insurer, name="EPD koppeling")
    assert raw_key.startswith(api_key.prefix + ".")
    assert api_key.created_by == insurer_admin
    # The key works against the API …
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert api_client.get("/api/v1/insurers/").status_code == 200
    # … and the next page load lists it by prefix, without the secret.
    html = client.get(API_KEYS_URL).content.decode()
    assert api_key.prefix in html
    assert raw_key not in html
    assert "new-api-key" not in html


def test_the_new_key_comes_with_a_warning_and_the_header_to_use(client, insurer_admin):
    client.force_login(insurer_admin)

    response = client.post(API_KEYS_URL, {"name": "Planningssysteem"})

    html = response.content.decode()
    raw_key = NEW_KEY_RE.search(html).group(1)
    assert "niet opnieuw getoond" in html
    assert f"Authorization: Api-Key {raw_key}" in html


def test_an_invalid_key_is_refused(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Api-Key zb_00000000.not-a-real-secret")

    assert api_client.get("/api/v1/insurers/").status_code == 401


def test_creating_a_key_is_audited(client, insurer_admin, insurer):
    client.force_login(insurer_admin)

    create_key_in_ui(client)

    api_key = ApiKey.objects.get(organisation=insurer)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="accounts.apikey")
    assert event.object_id == str(api_key.pk)
    assert event.actor == insurer_admin
    assert event.organisation == insurer


def test_revoking_a_key_makes_it_fail(client, api_client, insurer_admin, insurer):
    client.force_login(insurer_admin)
    raw_key = create_key_in_ui(client)
    api_key = ApiKey.objects.get(organisation=insurer)

    response = client.post(revoke_url(api_key.prefix), follow=True)

    assert response.redirect_chain[-1][0] == API_KEYS_URL
    html = response.content.decode()
    assert "Ingetrokken" in html
    assert "is ingetrokken" in html  # the success message
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert api_client.get("/api/v1/insurers/").status_code == 401


def test_revoke_buttons_only_for_active_keys(client, insurer_admin, insurer):
    active, _raw = api_key_create(organisation=insurer, name="actief")
    revoked, _raw = api_key_create(organisation=insurer, name="oud")
    client.force_login(insurer_admin)
    client.post(revoke_url(revoked.prefix))

    html = client.get(API_KEYS_URL).content.decode()

    assert f'action="{revoke_url(active.prefix)}"' in html
    assert f'action="{revoke_url(revoked.prefix)}"' not in html


def test_revoking_needs_a_post(client, insurer_admin, insurer):
    api_key, _raw = api_key_create(organisation=insurer, name="systeem")
    client.force_login(insurer_admin)

    assert client.get(revoke_url(api_key.prefix)).status_code == 405
    api_key.refresh_from_db()
    assert api_key.is_active


def test_an_admin_cannot_revoke_another_organisations_key(client, provider_admin, insurer):
    foreign_key, _raw = api_key_create(organisation=insurer, name="verzekeraar")
    client.force_login(provider_admin)

    response = client.post(revoke_url(foreign_key.prefix))

    assert response.status_code == 404
    foreign_key.refresh_from_db()
    assert foreign_key.is_active


def test_an_admin_sees_only_the_own_organisations_keys(client, provider_admin, insurer):
    foreign_key, _raw = api_key_create(organisation=insurer, name="verzekeraar")
    client.force_login(provider_admin)

    html = client.get(API_KEYS_URL).content.decode()

    assert foreign_key.prefix not in html


@pytest.mark.parametrize("role_fixture", ["mediator", "planner"])
def test_non_admins_may_not_manage_keys(client, request, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(API_KEYS_URL)

    assert response.status_code == 403
    assert "Geen toegang" in response.content.decode()
    assert client.post(API_KEYS_URL, {"name": "stiekem"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_anonymous_users_go_to_the_login_page(client):
    response = client.get(API_KEYS_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_an_empty_name_gives_a_form_error(client, insurer_admin):
    client.force_login(insurer_admin)

    response = client.post(API_KEYS_URL, {"name": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name_error"' in html
    assert "Dit veld is verplicht." in html or "Dit veld is vereist." in html
    assert re.search(r'<input[^>]*aria-invalid="true"', html)
    assert "new-api-key" not in html
    assert not ApiKey.objects.exists()


def test_a_duplicate_active_name_gives_a_form_error(client, insurer_admin, insurer):
    api_key_create(organisation=insurer, name="EPD koppeling")
    client.force_login(insurer_admin)

    response = client.post(API_KEYS_URL, {"name": "EPD koppeling"})

    assert response.status_code == 400
    assert "Er bestaat al een actieve sleutel met deze naam." in response.content.decode()
    assert ApiKey.objects.filter(organisation=insurer).count() == 1
