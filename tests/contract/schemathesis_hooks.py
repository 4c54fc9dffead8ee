"""``SCHEMATHESIS_HOOKS`` for ``st run`` (benchmarks/fuzz_api.py): our check, registered."""

import schemathesis

from tests.contract.schemathesis_checks import beyond_schema_rejection

schemathesis.check(beyond_schema_rejection)
