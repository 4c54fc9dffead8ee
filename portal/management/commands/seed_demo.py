"""``python manage.py seed_demo``: a realistic, clearly fictional picture to explore the product.

Idempotent: it can run any number of times; the same demo rows are updated, not duplicated.
Prints the demo logins as a table at the end.
"""

import logging
import random
from typing import Any

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from portal.demo.accounts import (
    DEMO_INSURERS,
    DEMO_PASSWORD,
    seed_demo_logins,
    seed_demo_organisations,
)
from portal.demo.capacity import seed_demo_capacity_offers
from portal.demo.finance import seed_demo_contracts, seed_demo_finance
from portal.demo.mediation import seed_demo_cases
from portal.demo.nza import seed_demo_national
from portal.demo.plans import seed_demo_plans
from portal.demo.providers import seed_demo_providers, seed_demo_waiting_times
from portal.demo.waiting_lists import seed_demo_waiting_lists

SEED = 20261123


class Command(BaseCommand):
    help = "Load fictional demo organisations, providers, locations, contracts and logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=SEED, help="random seed (default fixed)")

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        # Without a broker the demo's mails and jobs run inline; their "Task … succeeded" lines
        # would bury the table of logins that the newcomer needs.
        for name in ("celery.app.trace", "kombu.connection"):
            logging.getLogger(name).setLevel(logging.WARNING + 10)
        rng = random.Random(seed)
        providers = seed_demo_providers(rng=rng)
        organisations = seed_demo_organisations(providers=providers)
        insurers = [organisations[uzovi] for uzovi, _name in DEMO_INSURERS]
        contracts = seed_demo_contracts(
            rng=rng, insurers=insurers, providers=providers, year=timezone.localdate().year
        )
        seed_demo_finance(seed=seed, insurers=insurers, year=timezone.localdate().year)
        today = timezone.localdate()
        reports = seed_demo_waiting_times(rng=rng, today=today)
        national, national_result = seed_demo_national(today=today)
        offers = seed_demo_capacity_offers(rng=rng, today=today)
        logins = seed_demo_logins(organisations=organisations)
        seed_demo_cases(rng=random.Random(seed + 4), today=today, insurers=insurers)
        seed_demo_plans(
            rng=random.Random(seed + 7), insurers=insurers, providers=providers, today=today
        )
        waiting_list_entries = seed_demo_waiting_lists(
            rng=random.Random(seed + 15), today=today, insurers=insurers
        )
        cache.delete("demo_data_present")

        locations = sum(p.locations.count() for p in providers)
        self.stdout.write(
            f"Demo data ready: {len(insurers)} insurers, {len(providers)} providers, "
            f"{locations} locations, {contracts} contracts, {reports} waiting-time reports, "
            f"{offers} capacity offers, {waiting_list_entries} waiting-list entries."
        )
        if national_result is not None:
            counts = national_result.counts
            self.stdout.write(
                f"National NZa demo file (import {national.pk}): {counts['created']} figures "
                f"created, {counts['unchanged']} unchanged, {counts['kept_provider']} kept the "
                f"provider's own, {counts['skipped']} lines skipped; "
                f"{counts['providers_created']} providers, {counts['locations_created']} "
                f"locations and {len(counts['treatments_created'])} treatments (for review) "
                "created."
            )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        header = f"  {'username':<22} {'role':<18} organisation"
        self.stdout.write(header)
        self.stdout.write("  " + "-" * (len(header) + 20))
        for login in logins:
            self.stdout.write(f"  {login.username:<22} {login.role:<18} {login.organisation.name}")
        self.stdout.write(f"  {'beheerder':<22} {'(Django admin)':<18} platform operator")
