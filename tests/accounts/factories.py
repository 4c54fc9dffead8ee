import factory

from accounts.models import Membership, Organisation, OrganisationKind, Role, User
from tests.providers.factories import ProviderFactory

PASSWORD = "correct-horse-battery-staple"


class InsurerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.INSURER
    name = factory.Sequence(lambda n: f"Testverzekeraar {n}")
    uzovi = factory.Sequence(lambda n: f"{8000 + n:04d}")


class ProviderOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.PROVIDER
    provider = factory.SubFactory(ProviderFactory)
    name = factory.LazyAttribute(lambda o: o.provider.name)


class RegulatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.REGULATOR
    name = factory.Sequence(lambda n: f"Toezichthouder {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(role: str, organisation: Organisation, **kwargs) -> User:
    """A user acting for ``organisation`` in ``role``."""
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


ROLE_ORGANISATION_KIND = {
    Role.MEDIATOR: OrganisationKind.INSURER,
    Role.CONTRACT_MANAGER: OrganisationKind.INSURER,
    Role.INSURER_ADMIN: OrganisationKind.INSURER,
    Role.PLANNER: OrganisationKind.PROVIDER,
    Role.PROVIDER_ADMIN: OrganisationKind.PROVIDER,
    Role.REGULATOR: OrganisationKind.REGULATOR,
}
