"""Who is acting: a staff user (through their membership) or an organisation's API key.

Every access decision and every audit event is made from an :class:`Actor`, so that the web UI and
the API (session or API key) follow exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accounts.models import API_KEY_ROLES, AdminRole, ApiKey, Organisation, OrganisationKind

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class Actor:
    organisation: Organisation | None
    roles: frozenset[str]
    user: User | None = None
    api_key: ApiKey | None = None
    # Django's staff or superuser rights (``AdminRole``) when the user acts with those rather than
    # with a role of an organisation: recorded in the audit trail, never checked by ``has_role``.
    admin_role: str = ""
    # A job the platform runs itself (a scheduled fetch, a management command): who it is in
    # the audit trail and on what it stores. Acts for no organisation and has no role.
    system_name: str = ""

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None or self.api_key is not None

    @property
    def organisation_kind(self) -> str | None:
        return self.organisation.kind if self.organisation else None

    @property
    def is_insurer(self) -> bool:
        return self.organisation_kind == OrganisationKind.INSURER

    @property
    def is_provider(self) -> bool:
        return self.organisation_kind == OrganisationKind.PROVIDER

    @property
    def is_regulator(self) -> bool:
        return self.organisation_kind == OrganisationKind.REGULATOR

    @property
    def provider_id(self) -> int | None:
        """The ``providers.Provider`` this actor acts for, if any."""
        return self.organisation.provider_id if self.is_provider and self.organisation else None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def label(self) -> str:
        if self.api_key is not None:
            return f"api-key:{self.api_key.prefix}"
        if self.user is not None:
            return self.user.get_username()
        if self.system_name:
            return f"system:{self.system_name}"
        return "anonymous"

    @property
    def role_label(self) -> str:
        return ",".join(sorted(self.roles)) or self.admin_role


ANONYMOUS = Actor(organisation=None, roles=frozenset())


def actor_for_system(name: str) -> Actor:
    """The platform itself, running a job of its own (``name``, e.g. ``nza-import``)."""
    return Actor(organisation=None, roles=frozenset(), system_name=name)


def actor_for_user(user: Any) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    membership = getattr(user, "membership", None)
    if membership is None:
        # A platform operator (e.g. a superuser for the admin) acts for no organisation.
        return Actor(organisation=None, roles=frozenset(), user=user, admin_role=_admin_role(user))
    return Actor(
        organisation=membership.organisation, roles=frozenset({membership.role}), user=user
    )


def _admin_role(user: Any) -> str:
    if getattr(user, "is_superuser", False):
        return AdminRole.SUPERUSER
    if getattr(user, "is_staff", False):
        return AdminRole.STAFF
    return ""


def actor_for_admin(user: Any) -> Actor:
    """A user in the Django admin acts with Django's staff rights there, whatever their role in
    an organisation: no role of one (``has_role`` grants nothing), ``superuser`` or ``staff`` as
    the audit trail's role, and the organisation of their membership, if any, as who they are."""
    membership = getattr(user, "membership", None)
    return Actor(
        organisation=membership.organisation if membership else None,
        roles=frozenset(),
        user=user,
        admin_role=_admin_role(user),
    )


def actor_for_api_key(api_key: ApiKey) -> Actor:
    organisation = api_key.organisation
    return Actor(organisation=organisation, roles=API_KEY_ROLES[organisation.kind], api_key=api_key)


def actor_from_request(request: Any) -> Actor:
    """The actor of a Django or DRF request (an API key wins over a session)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiKey):
        return actor_for_api_key(auth)
    return actor_for_user(getattr(request, "user", None))
