from decimal import Decimal

import factory

from finance.models import Contract
from tests.accounts.factories import InsurerFactory
from tests.providers.factories import ProviderFactory


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    insurer = factory.SubFactory(InsurerFactory)
    provider = factory.SubFactory(ProviderFactory)
    year = 2026
    contract_value = Decimal("1250000.00")
