"""Volume transfers: "the money follows the patient" (DESIGN §3.5).

When a mediated case is completed at another provider than the one the patient waited at, the
mediation app calls :func:`volume_transfer_record`. The transfer's estimated amount comes from the
tariff table (``finance.Tariff``, editable in the admin): the treatment's tariff if it has one,
else the specialism's, else the default tariff; if even the default row was removed,
``DEFAULT_TRANSFER_TARIFF`` applies, so that a completed case never fails on missing prices.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organisation, OrganisationKind
from core.errors import ApplicationError
from finance.models import Tariff, TariffSource, VolumeTransfer
from providers.models import Provider, Specialism, Treatment

DEFAULT_TRANSFER_TARIFF = Decimal("3000.00")


def tariff_for(
    *, specialism: Specialism, treatment: Treatment | None = None
) -> tuple[Decimal, str]:
    """The estimated value of one patient and which tariff gave it (a ``TariffSource``)."""
    wanted = Q(specialism=specialism, treatment__isnull=True) | Q(
        specialism__isnull=True, treatment__isnull=True
    )
    if treatment is not None:
        wanted |= Q(treatment=treatment)
    rows = {
        (row.treatment_id, row.specialism_id): row.amount
        for row in Tariff.objects.filter(wanted).only("treatment_id", "specialism_id", "amount")
    }
    if treatment is not None and (treatment.pk, None) in rows:
        return rows[(treatment.pk, None)], TariffSource.TREATMENT
    if (None, specialism.pk) in rows:
        return rows[(None, specialism.pk)], TariffSource.SPECIALISM
    return rows.get((None, None), DEFAULT_TRANSFER_TARIFF), TariffSource.DEFAULT


def volume_transfer_record(
    *,
    insurer: Organisation,
    from_provider: Provider,
    to_provider: Provider,
    specialism: Specialism,
    treatment: Treatment | None,
    case_reference: str,
    completed_on: date,
    care_date: date,
) -> VolumeTransfer:
    """Record that the insurer's patient of case ``case_reference`` was treated by
    ``to_provider`` instead of ``from_provider``; return the transfer.

    Idempotent on ``case_reference``: calling it again for the same case returns the transfer
    recorded the first time, unchanged (a retried task or a double click books nothing twice).
    ``completed_on`` is the day the placement was confirmed, ``care_date`` the day of the care
    (the appointment); the transfer counts in the contracts of ``care_date``'s year (DESIGN §3.5:
    a patient confirmed in December for a January appointment moves next year's volume).
    Refused (``ApplicationError``) when both providers are the same (no patient moved) or
    ``insurer`` is not an insurer.
    """
    case_reference = case_reference.strip()
    existing = VolumeTransfer.objects.filter(case_reference=case_reference).first()
    if existing is not None:
        return existing
    if not case_reference:
        raise ApplicationError(_("A volume transfer needs the case reference."))
    if insurer.kind != OrganisationKind.INSURER:
        raise ApplicationError(_("Only an insurer records volume transfers."), field="insurer")
    if from_provider.pk == to_provider.pk:
        raise ApplicationError(
            _("The patient was treated by the provider they waited at: nothing moves."),
            field="to_provider",
        )
    if treatment is not None and treatment.specialism_id != specialism.pk:
        raise ApplicationError(
            _("The treatment does not belong to the specialism."), field="treatment"
        )
    amount, source = tariff_for(specialism=specialism, treatment=treatment)
    try:
        # A savepoint, so that losing a race with a concurrent call for the same case leaves the
        # caller's transaction usable; the winner's row is then returned.
        with transaction.atomic():
            return VolumeTransfer.objects.create(
                insurer=insurer,
                from_provider=from_provider,
                to_provider=to_provider,
                specialism=specialism,
                treatment=treatment,
                case_reference=case_reference,
                completed_on=completed_on,
                care_date=care_date,
                estimated_amount=amount,
                tariff_source=source,
            )
    except IntegrityError:
        existing = VolumeTransfer.objects.filter(case_reference=case_reference).first()
        if existing is None:
            raise
        return existing
