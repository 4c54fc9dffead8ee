"""Demo purchase contracts: most insurer–provider pairs, this year and last year."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from accounts.models import Organisation
from finance.models import Contract
from providers.models import Provider, ProviderKind

# Revenue ceilings in millions of euros for the whole market, by provider kind.
_VALUE_RANGE = {
    ProviderKind.UMC: (500, 1100),
    ProviderKind.HOSPITAL: (80, 420),
    ProviderKind.ZBC: (2, 18),
}
CONTRACTED_SHARE = 0.85


@transaction.atomic
def seed_demo_contracts(
    *, rng: random.Random, insurers: list[Organisation], providers: list[Provider], year: int
) -> int:
    """Each insurer contracts most providers, for an amount proportional to its market share.

    Written in bulk (a few queries instead of a thousand): demo contracts need no change history.
    """
    shares = [Decimal("0.45"), Decimal("0.35"), Decimal("0.20")]
    existing = {
        (c.insurer_id, c.provider_id, c.year): c
        for c in Contract.objects.filter(insurer__in=insurers, provider__in=providers)
    }
    wanted: dict[tuple[int, int, int], Decimal] = {}
    for provider in providers:
        low, high = _VALUE_RANGE[ProviderKind(provider.kind)]
        market_value = Decimal(rng.randint(low * 1000, high * 1000)) * 1000
        for insurer, share in zip(insurers, shares, strict=False):
            if rng.random() > CONTRACTED_SHARE:
                continue
            for contract_year, growth in ((year - 1, Decimal("0.96")), (year, Decimal("1"))):
                value = (market_value * share * growth).quantize(Decimal("0.01"))
                wanted[(insurer.pk, provider.pk, contract_year)] = value
    stale = [
        c.pk for key, c in existing.items() if key[2] in (year - 1, year) and key not in wanted
    ]
    Contract.objects.filter(pk__in=stale).delete()
    to_update = []
    for key, value in wanted.items():
        if key in existing and existing[key].contract_value != value:
            existing[key].contract_value = value
            to_update.append(existing[key])
    Contract.objects.bulk_update(to_update, ["contract_value"])
    Contract.objects.bulk_create(
        Contract(insurer_id=i, provider_id=p, year=y, contract_value=value)
        for (i, p, y), value in wanted.items()
        if (i, p, y) not in existing
    )
    return len(wanted)
