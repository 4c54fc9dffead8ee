from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.actors import actor_for_api_key, actor_for_user
from accounts.models import (
    ApiKey,
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Organisation,
    OrganisationKind,
    Role,
)
from accounts.services import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    audit_record,
    member_create,
    organisation_create,
)
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


# --- API keys -------------------------------------------------------------------------------
def test_api_key_is_stored_hashed_with_visible_prefix(insurer) -> None:
    api_key, raw = api_key_create(organisation=insurer, name="EPD koppeling")
    prefix, secret = raw.split(".", 1)
    assert prefix == api_key.prefix and prefix.startswith("zb_")
    assert api_key.hashed_key == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in api_key.hashed_key
    assert not ApiKey.objects.filter(hashed_key__contains=secret).exists()


def test_api_key_authenticates_and_records_last_use(insurer) -> None:
    api_key, raw = api_key_create(organisation=insurer, name="k")
    assert api_key.last_used_at is None
    assert api_key_authenticate(raw_key=raw) == api_key
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    assert first_use is not None
    # Within the touch interval the row is not written again.
    api_key_authenticate(raw_key=raw)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw + "x",
        lambda raw: raw.split(".")[0],
        lambda raw: "zb_ffffffff." + raw.split(".")[1],
        lambda raw: "",
        lambda raw: ".",
    ],
)
def test_api_key_wrong_secret_or_prefix_fails(insurer, mangle) -> None:
    _api_key, raw = api_key_create(organisation=insurer, name="k")
    assert api_key_authenticate(raw_key=mangle(raw)) is None


def test_revoked_api_key_no_longer_authenticates(insurer) -> None:
    api_key, raw = api_key_create(organisation=insurer, name="k")
    api_key_revoke(api_key=api_key)
    assert api_key_authenticate(raw_key=raw) is None
    revoked_at = api_key.revoked_at
    api_key_revoke(api_key=api_key)  # idempotent: the first revocation time stays
    assert api_key.revoked_at == revoked_at


def test_api_key_names_are_required_and_unique_among_active_keys(insurer) -> None:
    with pytest.raises(ValidationError) as exc:
        api_key_create(organisation=insurer, name="  ")
    assert "name" in exc.value.message_dict
    first, _raw = api_key_create(organisation=insurer, name="EPD")
    with pytest.raises(ValidationError):
        api_key_create(organisation=insurer, name="EPD")
    api_key_revoke(api_key=first)
    api_key_create(organisation=insurer, name="EPD")  # the name is free again


def test_api_key_roles_follow_organisation_kind(insurer, provider_org, regulator_org) -> None:
    def roles(org: Organisation) -> frozenset[str]:
        return actor_for_api_key(api_key_create(organisation=org, name="k")[0]).roles

    assert roles(insurer) == {Role.MEDIATOR, Role.CONTRACT_MANAGER}
    assert roles(provider_org) == {Role.PLANNER}
    assert roles(regulator_org) == {Role.REGULATOR}


def test_api_key_header_variants(api_client, insurer) -> None:
    _key, raw = api_key_create(organisation=insurer, name="k")
    assert (
        api_client.get("/api/v1/insurers/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    )
    assert (
        api_client.get("/api/v1/insurers/", HTTP_AUTHORIZATION=f"api-key {raw}").status_code == 200
    )
    malformed = api_client.get("/api/v1/insurers/", HTTP_AUTHORIZATION="Api-Key ")
    assert malformed.status_code == 401
    # Another scheme is not ours to judge: treated as no API key (anonymous on a public endpoint).
    assert api_client.get("/api/v1/insurers/", HTTP_AUTHORIZATION="Bearer abc").status_code == 200


# --- create_api_key command -------------------------------------------------------------------
def test_create_api_key_command_prints_key_last(insurer, provider_org) -> None:
    for code in (insurer.uzovi, provider_org.provider.agb_code):
        out = StringIO()
        call_command("create_api_key", code, "--name", "Koppeling", stdout=out)
        last_line = out.getvalue().strip().splitlines()[-1]
        api_key = api_key_authenticate(raw_key=last_line)
        assert api_key is not None
        assert api_key.organisation.code == code
        assert api_key.name == "Koppeling"
    assert (
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="accounts.apikey").count()
        == 2
    )


def test_create_api_key_command_unknown_code() -> None:
    with pytest.raises(CommandError, match="No insurer"):
        call_command("create_api_key", "0000", "--name", "x", stdout=StringIO())


# --- Organisations and members --------------------------------------------------------------
def test_organisation_identity_must_match_kind(provider_org) -> None:
    with pytest.raises(ValidationError):
        organisation_create(kind=OrganisationKind.INSURER, name="Zonder UZOVI")
    with pytest.raises(ValidationError):
        organisation_create(kind=OrganisationKind.INSURER, name="Fout", uzovi="12a4")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind=OrganisationKind.REGULATOR, name="R", uzovi="1234")


def test_member_role_must_exist_in_organisation_kind(insurer, provider_org) -> None:
    user = member_create(organisation=insurer, username="bemiddelaar", role=Role.MEDIATOR)
    assert actor_for_user(user).roles == {Role.MEDIATOR}
    assert actor_for_user(user).organisation == insurer
    with pytest.raises(ValidationError):
        member_create(organisation=provider_org, username="fout", role=Role.MEDIATOR)
    with pytest.raises(ValidationError):
        member_create(organisation=insurer, username="fout2", role=Role.PLANNER)


def test_user_acts_for_exactly_one_organisation(mediator, other_insurer) -> None:
    from accounts.models import Membership

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=mediator, organisation=other_insurer, role=Role.MEDIATOR)


def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


# --- Audit trail -----------------------------------------------------------------------------
def test_audit_record_captures_nen7513_fields(mediator, insurer) -> None:
    request = RequestFactory().get("/x", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140")
    event = audit_record(
        actor=actor_for_user(mediator),
        action=AuditAction.VIEW,
        object_type="mediation.case",
        object_id="42",
        case_reference="ZB-2026-000042",
        request=request,
    )
    event.refresh_from_db()
    assert event.actor == mediator
    assert event.actor_label == mediator.username
    assert event.role == Role.MEDIATOR
    assert event.organisation == insurer
    assert event.organisation_label == str(insurer)
    assert event.case_reference == "ZB-2026-000042"
    assert event.client_ip == "192.0.2.7"
    assert event.user_agent == "Firefox/140"
    assert event.outcome == AuditOutcome.SUCCESS
    assert timezone.now() - event.occurred_at < timedelta(minutes=1)


def test_audit_client_ip_ignores_forwarded_for_unless_behind_a_trusted_proxy(
    mediator, settings
) -> None:
    # The client sent "192.0.2.66" itself; the proxy (10.0.0.1) appended the address it saw.
    request = RequestFactory().get(
        "/x", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9"
    )
    actor = actor_for_user(mediator)
    assert audit_record(actor=actor, action="view", request=request).client_ip == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert audit_record(actor=actor, action="view", request=request).client_ip == "203.0.113.9"


def test_admin_rights_are_the_recorded_role_and_grant_no_role(insurer, mediator) -> None:
    from accounts.actors import actor_for_admin

    superuser = UserFactory(is_staff=True, is_superuser=True)
    for actor in (actor_for_user(superuser), actor_for_admin(superuser)):
        event = audit_record(actor=actor, action=AuditAction.VIEW)
        assert (event.role, event.organisation, event.actor) == ("superuser", None, superuser)
        assert not actor.has_role(*Role.values)
    mediator.is_staff = True
    admin_actor = actor_for_admin(mediator)
    assert admin_actor.role_label == "staff" and admin_actor.organisation == insurer
    assert not admin_actor.has_role(*Role.values)
    # Outside the admin the member acts in their role, as before.
    assert actor_for_user(mediator).role_label == Role.MEDIATOR


def test_audit_events_cannot_be_changed_or_deleted(mediator) -> None:
    event = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)
    event.action = AuditAction.DELETE
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.DELETE)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == AuditAction.VIEW


def test_audit_events_are_read_only_in_the_admin(rf, mediator) -> None:
    model_admin = admin_site._registry[AuditEvent]
    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    event = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger is PostgreSQL-only")
def test_database_refuses_raw_update_and_delete_of_audit_events(mediator) -> None:
    from django.db import DatabaseError

    event = audit_record(actor=actor_for_user(mediator), action=AuditAction.VIEW)
    for sql in (
        "UPDATE accounts_auditevent SET action = 'delete' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action=AuditAction.VIEW).exists()


# --- Login, lockout, session ------------------------------------------------------------------
def test_login_and_failed_login_are_audited(client, mediator) -> None:
    url = reverse("accounts:login")
    client.post(url, {"username": mediator.username, "password": "wrong"})
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.outcome == AuditOutcome.FAILURE
    assert failed.detail == {"username": mediator.username}
    response = client.post(url, {"username": mediator.username, "password": PASSWORD})
    assert response.status_code == 302
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert login.actor == mediator and login.role == Role.MEDIATOR
    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=mediator).exists()


def test_repeated_failed_logins_lock_the_account_out(client, mediator) -> None:
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": mediator.username, "password": "wrong"})
    # Even the right password is refused while locked out.
    response = client.post(url, {"username": mediator.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_staff_session_expires_after_idle_timeout(client, mediator) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    client.force_login(mediator)
    client.get(reverse("accounts:dashboard"))
    expiry = client.session.get_expiry_age()
    assert expiry == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


def _session_row(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key)


def test_a_busy_session_is_renewed_once_a_minute_not_on_every_request(
    client, mediator, monkeypatch
) -> None:
    """The idle timeout slides with the user's requests, but a request within a minute of the
    last renewal writes nothing (a staff page is not a database write)."""
    import time as clock

    now = [1_800_000_000.0]
    monkeypatch.setattr(clock, "time", lambda: now[0])
    client.force_login(mediator)
    client.get(reverse("accounts:dashboard"))
    first = _session_row(client).expire_date

    now[0] += 30
    client.get(reverse("accounts:dashboard"))
    assert _session_row(client).expire_date == first  # not written again

    now[0] += settings.SESSION_RENEWAL_SECONDS
    client.get(reverse("accounts:dashboard"))
    assert _session_row(client).expire_date > first  # renewed: the idle timeout starts again


def test_a_request_without_a_session_makes_none(client) -> None:
    response = client.get("/")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
