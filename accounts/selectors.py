"""Reads of the accounts app that need no actor."""

from django.db.models import QuerySet

from accounts.models import Organisation, OrganisationKind


def insurer_list() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.INSURER).order_by("uzovi")


def organisation_by_code(*, code: str) -> Organisation | None:
    """An insurer by UZOVI code or a provider organisation by AGB code."""
    code = (code or "").strip()
    return (
        Organisation.objects.filter(uzovi=code).first()
        or Organisation.objects.filter(provider__agb_code=code).first()
    )


def demo_data_present() -> bool:
    return Organisation.objects.filter(is_demo=True).exists()
