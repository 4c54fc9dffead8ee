"""Demo organisations and one demo login per role (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from providers.models import Provider, ProviderKind

DEMO_PASSWORD = "demo-Inhaalzorg-2026"  # noqa: S105 - printed on purpose: demo logins only

DEMO_INSURERS = [
    ("9901", "Demo Zorgverzekeraar Kievit"),
    ("9902", "Demo Zorgverzekeraar Duinroos"),
    ("9903", "Demo Zorgverzekeraar Lisdodde"),
]
DEMO_REGULATOR = "Demo Toezichthouder (NZa-rol)"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    organisation: Organisation


@transaction.atomic
def seed_demo_organisations(*, providers: list[Provider]) -> dict[str, Organisation]:
    """Insurers, the regulator and an organisation for every demo provider."""
    organisations: dict[str, Organisation] = {}
    for uzovi, name in DEMO_INSURERS:
        organisations[uzovi], _ = Organisation.objects.update_or_create(
            uzovi=uzovi,
            defaults={"kind": OrganisationKind.INSURER, "name": name, "is_demo": True},
        )
    organisations["regulator"], _ = Organisation.objects.update_or_create(
        kind=OrganisationKind.REGULATOR, name=DEMO_REGULATOR, defaults={"is_demo": True}
    )
    for provider in providers:
        organisations[provider.agb_code], _ = Organisation.objects.update_or_create(
            provider=provider,
            defaults={"kind": OrganisationKind.PROVIDER, "name": provider.name, "is_demo": True},
        )
    return organisations


@transaction.atomic
def seed_demo_logins(*, organisations: dict[str, Organisation]) -> list[DemoLogin]:
    """One login per role; the password is reset on every run so the printed table is true."""
    first_insurer = organisations[DEMO_INSURERS[0][0]]
    hospital = (
        Organisation.objects.filter(is_demo=True, provider__kind=ProviderKind.HOSPITAL)
        .order_by("provider__agb_code")
        .first()
    )
    assert hospital is not None
    # Fictional people (the demo banner and the "(demo)" suffix say so).
    wanted = [
        ("bemiddelaar", Role.MEDIATOR, first_insurer, "Sanne", "Visser"),
        ("contractmanager", Role.CONTRACT_MANAGER, first_insurer, "Joost", "van Dijk"),
        ("verzekeraar-beheer", Role.INSURER_ADMIN, first_insurer, "Fatima", "El Amrani"),
        ("planner", Role.PLANNER, hospital, "Pieter", "Jansen"),
        ("zorgaanbieder-beheer", Role.PROVIDER_ADMIN, hospital, "Ingrid", "de Boer"),
        ("toezichthouder", Role.REGULATOR, organisations["regulator"], "Ahmed", "Bakker"),
    ]
    logins = []
    for username, role, organisation, first_name, last_name in wanted:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = first_name
        user.last_name = f"{last_name} (demo)"
        user.email = f"{username}@demo.invalid"
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.update_or_create(
            user=user, defaults={"organisation": organisation, "role": role}
        )
        logins.append(DemoLogin(username, role, organisation))
    operator, _ = User.objects.get_or_create(username="beheerder")
    operator.is_staff = operator.is_superuser = True
    operator.set_password(DEMO_PASSWORD)
    operator.save()
    return logins
