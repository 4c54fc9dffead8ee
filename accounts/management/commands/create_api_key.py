"""``python manage.py create_api_key <AGB-or-UZOVI> --name <name>``.

Prints the new key as the last line of its output (DESIGN §8), so scripts can take it with
``tail -n 1``. The key is not stored and cannot be shown again.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.actors import Actor
from accounts.models import AuditAction
from accounts.selectors import organisation_by_code
from accounts.services import api_key_create, audit_record


class Command(BaseCommand):
    help = "Create an API key for an insurer (UZOVI code) or provider (AGB code)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="UZOVI code of an insurer or AGB code of a provider")
        parser.add_argument("--name", required=True, help="Name of the key, e.g. the system")

    def handle(self, *args: Any, code: str, name: str, **options: Any) -> None:
        organisation = organisation_by_code(code=code)
        if organisation is None:
            raise CommandError(f"No insurer with UZOVI code or provider with AGB code {code!r}.")
        try:
            api_key, raw_key = api_key_create(organisation=organisation, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        operator = Actor(organisation=None, roles=frozenset())
        audit_record(
            actor=operator,
            action=AuditAction.CREATE,
            obj=api_key,
            detail={"via": "manage.py create_api_key", "organisation": str(organisation)},
        )
        self.stdout.write(
            f"Created API key {api_key.name!r} ({api_key.prefix}) for {organisation}. "
            "Store it now: it cannot be shown again. Use it as 'Authorization: Api-Key <key>'."
        )
        self.stdout.write(raw_key)
