"""Fuzz the REST API against its own OpenAPI schema, as every role, with schemathesis (issue 12).

Starts gunicorn on 127.0.0.1 over the database in ``DATABASE_URL`` (the demo data of
``manage.py seed_demo``; SQLite will do) with throttling lifted and long staff sessions, and runs
``st run`` on ``/api/schema/`` once per role:

* ``anonymous``;
* ``patient``: ``X-Access-Token`` of a case requested as a patient would, with an offer to it;
* ``provider-key`` (acts as planner) and ``insurer-key`` (mediator and contract manager): API keys
  of the demo hospital and the demo insurer (``create_api_key``'s service);
* staff sessions: ``mediator``, ``contract-manager``, ``insurer-admin``, ``planner``,
  ``provider-admin`` and ``regulator`` (the demo logins; a session as the login page makes one).

Every role runs every operation (one it may not call must get its documented 401, 403 or 404),
all phases (examples, coverage, fuzzing, stateful) and all checks but one:
``positive_data_acceptance`` is replaced by ``beyond_schema_rejection``
(``tests/contract/schemathesis_checks.py``), which lets a 400 to a schema-valid request pass only
when it names fields whose rule the schema cannot state (codes that must exist, dates relative to
today, the object's state). Each role's own objects (its cases, plans, contracts, arrangements,
location) are given as path parameters, so that requests get past the 404 into the services.

The figures (test cases and HTTP requests per role, answers by status, failures by check) are
printed and appended to RESULTS.md; the reports of schemathesis (NDJSON, JUnit) go to
``--report-dir``.

    DATABASE_URL=sqlite:////tmp/zb-fuzz.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/zb-fuzz.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/zb-fuzz.sqlite3 .venv/bin/python benchmarks/fuzz_api.py
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_setup import PROJECT_ROOT, setup_django

ROLES = [
    "anonymous",
    "patient",
    "provider-key",
    "insurer-key",
    "mediator",
    "contract-manager",
    "insurer-admin",
    "planner",
    "provider-admin",
    "regulator",
]
# The demo logins (portal/demo/accounts.py) behind the session roles.
DEMO_USERNAMES = {
    "mediator": "bemiddelaar",
    "contract-manager": "contractmanager",
    "insurer-admin": "verzekeraar-beheer",
    "planner": "planner",
    "provider-admin": "zorgaanbieder-beheer",
    "regulator": "toezichthouder",
}
DEMO_INSURER_UZOVI = "9901"  # Demo Zorgverzekeraar Kievit, the demo insurer staff's
DEMO_HOSPITAL = "Demo Ziekenhuis Amsterdam"  # the demo planner's provider
CHECKS_MODULE = "tests.contract.schemathesis_hooks"
BIN = Path(sys.executable).parent


@dataclass
class Role:
    name: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: dict[str, str] = field(default_factory=dict)  # security scheme → value
    # (path prefix, {parameter: value}): the role's own objects for the operations below it.
    parameters: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


# --- The roles' credentials and objects ---------------------------------------------------------
def _session_for(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return str(session.session_key)


def _patient_case(insurer: Any, api_key: Any) -> tuple[str, str, int]:
    """A patient's request (channel ``api``) like an open demo case that has matches, with an
    offer made by the insurer's key: (reference, token, offer id)."""
    from django.utils import timezone

    from accounts.actors import actor_for_api_key
    from mediation.models import Case, CaseStatus, Channel
    from mediation.selectors.matching import case_matches
    from mediation.services.cases import case_create
    from mediation.services.offers import offer_make

    today = timezone.localdate()
    for example in Case.objects.filter(insurer=insurer, status=CaseStatus.SUBMITTED):
        matches = case_matches(case=example, today=today)
        if matches:
            break
    else:
        sys.exit("No open demo case with matches: run manage.py seed_demo first.")
    case, token = case_create(
        insurer=insurer,
        policy_number="FUZZ0001",
        full_name="Schema Thesis",
        birth_date=example.birth_date,
        email="patient@example.org",
        postcode=example.postcode,
        specialism=example.specialism,
        treatment=example.treatment,
        kind=example.kind,
        urgency_class=example.urgency_class,
        current_location=example.current_location,
        waiting_since=example.waiting_since,
        expected_date=example.expected_date,
        max_distance_km=example.max_distance_km,
        consent=True,
        channel=Channel.API,
    )
    offer = offer_make(
        case=case,
        actor=actor_for_api_key(api_key),
        location=matches[0].location_code,
        expected_days=matches[0].expected_days,
        note="fuzz",
    )
    return case.reference, token, offer.pk


def prepare_roles() -> dict[str, Role]:
    from accounts.models import Organisation
    from accounts.services import api_key_create
    from finance.models import Arrangement, Contract, CostClaim
    from mediation.models import Case, CaseStatus
    from plans.models import Plan, PlanStatus

    insurer = Organisation.objects.get(uzovi=DEMO_INSURER_UZOVI)
    hospital = Organisation.objects.get(name=DEMO_HOSPITAL)
    suffix = secrets.token_hex(3)
    insurer_key, insurer_raw = api_key_create(organisation=insurer, name=f"fuzz-{suffix}")
    _key, provider_raw = api_key_create(organisation=hospital, name=f"fuzz-{suffix}")
    reference, token, offer_id = _patient_case(insurer, insurer_key)

    case = Case.objects.filter(insurer=insurer, status=CaseStatus.SUBMITTED).last()
    insurer_plan = Plan.objects.filter(insurer=insurer, status=PlanStatus.SUBMITTED).first()
    provider_plan = Plan.objects.filter(provider=hospital.provider).order_by("pk").first()
    any_plan = Plan.objects.exclude(status=PlanStatus.DRAFT).order_by("pk").first()
    claim = CostClaim.objects.filter(arrangement__contract__insurer=insurer).first()
    insurer_arrangement = (
        claim.arrangement
        if claim
        else Arrangement.objects.filter(contract__insurer=insurer).first()
    )
    provider_arrangement = Arrangement.objects.filter(contract__provider=hospital.provider).first()
    insurer_contract = Contract.objects.filter(insurer=insurer).first()
    provider_contract = Contract.objects.filter(provider=hospital.provider).first()
    location = hospital.provider.locations.order_by("code").first()
    region = hospital.provider.region.code

    def pk(obj: Any) -> int:
        return obj.pk if obj is not None else 1

    insurer_objects = [
        ("/api/v1/cases/{reference}/", {"reference": case.reference if case else reference}),
        ("/api/v1/plans/{id}/", {"id": pk(insurer_plan)}),
        ("/api/v1/arrangements/{id}/", {"id": pk(insurer_arrangement)}),
        ("/api/v1/contracts/{id}/", {"id": pk(insurer_contract)}),
        ("/api/v1/arrangements/{id}/claims/{claim_pk}/", {"claim_pk": pk(claim)}),
        ("/api/v1/reports/regions/{code}/", {"code": region}),
    ]
    provider_objects = [
        ("/api/v1/plans/{id}/", {"id": pk(provider_plan)}),
        ("/api/v1/arrangements/{id}/", {"id": pk(provider_arrangement)}),
        ("/api/v1/contracts/{id}/", {"id": pk(provider_contract)}),
        ("/api/v1/locations/{code}/status/", {"code": location.code}),
    ]
    regulator_objects = [
        ("/api/v1/plans/{id}/", {"id": pk(any_plan)}),
        ("/api/v1/reports/regions/{code}/", {"code": region}),
    ]
    roles = {
        "anonymous": Role("anonymous"),
        "patient": Role(
            "patient",
            headers={"X-Access-Token": token},
            parameters=[
                ("/api/v1/mediation-requests/{reference}/", {"reference": reference}),
                ("/api/v1/mediation-requests/{reference}/offers/{id}/", {"id": offer_id}),
            ],
        ),
        "provider-key": Role(
            "provider-key",
            auth={"ApiKeyAuth": f"Api-Key {provider_raw}"},
            parameters=provider_objects,
        ),
        "insurer-key": Role(
            "insurer-key",
            auth={"ApiKeyAuth": f"Api-Key {insurer_raw}"},
            parameters=insurer_objects,
        ),
    }
    own_objects = {
        "mediator": insurer_objects,
        "contract-manager": insurer_objects,
        "insurer-admin": [],
        "planner": provider_objects,
        "provider-admin": provider_objects,
        "regulator": regulator_objects,
    }
    for role, username in DEMO_USERNAMES.items():
        roles[role] = Role(
            role, auth={"SessionAuth": _session_for(username)}, parameters=own_objects[role]
        )
    return roles


# --- schemathesis' configuration per role --------------------------------------------------------
def _toml(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value).lower()


def role_config(role: Role, paths: list[str]) -> str:
    lines = []
    if role.headers:
        lines.append("[headers]")
        lines += [f"{_toml(name)} = {_toml(value)}" for name, value in role.headers.items()]
    for scheme, value in role.auth.items():
        lines += [f"[auth.openapi.{scheme}]", f"api_key = {_toml(value)}"]
    # One entry per path (schemathesis takes the first entry's parameters when several apply).
    for path in paths:
        parameters: dict[str, Any] = {}
        for prefix, values in role.parameters:
            if path.startswith(prefix):
                parameters.update(
                    {name: value for name, value in values.items() if f"{{{name}}}" in path}
                )
        if parameters:
            values = ", ".join(f"{_toml(n)} = {_toml(v)}" for n, v in parameters.items())
            lines += [
                "[[operations]]",
                f"include-path = {_toml(path)}",
                f"parameters = {{ {values} }}",
            ]
    return "\n".join(lines) + "\n"


def api_paths() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    return sorted(SchemaGenerator().get_schema(request=None, public=True)["paths"])


# --- The server ---------------------------------------------------------------------------------
def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return int(response.status)


def start_gunicorn(port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "THROTTLE_PUBLIC_RATE": "100000000/minute",
        "THROTTLE_PUBLIC_WRITE_RATE": "100000000/minute",
        "THROTTLE_PUBLIC_INVALID_RATE": "100000000/minute",
        "SESSION_IDLE_TIMEOUT_MINUTES": str(24 * 60),
    }
    server = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        # Django logs every refused request (and every server error, with its traceback).
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(150):
        try:
            if _get(f"http://127.0.0.1:{port}/health/") == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


# --- A run per role -----------------------------------------------------------------------------
@dataclass
class RoleResult:
    role: str
    exit_code: int
    seconds: float
    cases: int = 0
    requests: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    failures: collections.Counter = field(default_factory=collections.Counter)
    # "METHOD path" of every answer 5xx (a probe with another method keeps the operation's path).
    server_errors: collections.Counter = field(default_factory=collections.Counter)


def run_role(
    role: Role, *, paths: list[str], args: argparse.Namespace, report_dir: Path
) -> RoleResult:
    config = report_dir / f"{role.name}.toml"
    config.write_text(role_config(role, paths), encoding="utf-8")
    ndjson = report_dir / f"{role.name}.ndjson"
    command = [
        str(BIN / "st"),
        "--config-file",
        str(config),
        "run",
        f"http://127.0.0.1:{args.port}/api/schema/",
        "--url",
        f"http://127.0.0.1:{args.port}",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--generation-database",
        "none",  # reproducible from the seed alone
        "--no-color",
        "--report",
        "ndjson,junit",
        "--report-ndjson-path",
        str(ndjson),
        "--report-junit-path",
        str(report_dir / f"{role.name}.xml"),
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": CHECKS_MODULE, "PYTHONPATH": str(PROJECT_ROOT)}
    started = time.monotonic()
    with (report_dir / f"{role.name}.txt").open("w", encoding="utf-8") as output:
        # In the report folder: schemathesis keeps a cache folder where it runs.
        exit_code = subprocess.run(  # noqa: S603
            command, cwd=report_dir, env=env, stdout=output, stderr=subprocess.STDOUT
        ).returncode
    result = RoleResult(role.name, exit_code, time.monotonic() - started)
    _count(result, ndjson)
    return result


def _count(result: RoleResult, ndjson: Path) -> None:
    """Test cases, HTTP requests, answers by status and failed checks, from the NDJSON report."""
    if not ndjson.exists():
        return
    with ndjson.open(encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            scenario = event.get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario.get("recorder", {})
            result.cases += len(recorder.get("cases", {}))
            path = str(recorder.get("label", "")).partition(" ")[2]
            for interaction in recorder.get("interactions", {}).values():
                result.requests += 1
                response = interaction.get("response")
                status = response["status_code"] if response else "no answer"
                result.statuses[status] += 1
                if isinstance(status, int) and status >= 500:
                    result.server_errors[f"{interaction['request']['method']} {path}"] += 1
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if check["status"] == "failure":
                        result.failures[check["name"]] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=10, help="per operation and phase")
    parser.add_argument(
        "--roles", default=",".join(ROLES), help="comma-separated, of " + ", ".join(ROLES)
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--report-dir", type=Path, default=PROJECT_ROOT / "test-artifacts" / "fuzz-api"
    )
    parser.add_argument("--no-record", action="store_true", help="no entry in RESULTS.md")
    args = parser.parse_args()
    args.report_dir = args.report_dir.resolve()
    roles_wanted = [name.strip() for name in args.roles.split(",") if name.strip()]
    unknown = set(roles_wanted) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")

    setup_django(require_postgresql=False)
    from django.conf import settings
    from django.db import connection

    os.environ.setdefault("SESSION_IDLE_TIMEOUT_MINUTES", str(24 * 60))
    roles = prepare_roles()
    paths = api_paths()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    connection.close()

    server = start_gunicorn(args.port, args.workers, args.report_dir / "server.log")
    results = []
    try:
        for name in roles_wanted:
            result = run_role(roles[name], paths=paths, args=args, report_dir=args.report_dir)
            results.append(result)
            print(
                f"{name:17} {result.cases:6} cases {result.requests:6} requests "
                f"{sum(result.failures.values()):4} failures  {result.seconds:5.0f} s",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    lines = summary_lines(results, database=settings.DATABASES["default"]["ENGINE"], args=args)
    print("\n".join(lines))
    if not args.no_record:
        from results import append_result

        command = (
            "DATABASE_URL=… .venv/bin/python benchmarks/fuzz_api.py "
            f"--max-examples {args.max_examples} --seed {args.seed}"
            + (f" --roles {args.roles}" if roles_wanted != ROLES else "")
        )
        append_result("API against its OpenAPI schema (schemathesis, every role)", command, lines)


def summary_lines(
    results: list[RoleResult], *, database: str, args: argparse.Namespace
) -> list[str]:
    import schemathesis

    cases = sum(result.cases for result in results)
    requests = sum(result.requests for result in results)
    failures: collections.Counter = collections.Counter()
    server_errors: collections.Counter = collections.Counter()
    others: collections.Counter = collections.Counter()
    for result in results:
        failures.update(result.failures)
        server_errors.update(result.server_errors)
        others.update(
            {
                status: count
                for status, count in result.statuses.items()
                if status not in (400, 401, 403, 404) and not str(status).startswith("2")
            }
        )
    lines = [
        f"- schemathesis {schemathesis.__version__ if hasattr(schemathesis, '__version__') else ''}"
        f" (`st run`, all phases, `--checks all` with `positive_data_acceptance` replaced by "
        f"`beyond_schema_rejection`), `--max-examples {args.max_examples}`, seed {args.seed}; "
        f"gunicorn ({args.workers} workers) on 127.0.0.1, database `{database.rsplit('.', 1)[-1]}` "
        "with the demo data",
        f"- **{cases:,} generated test cases, {requests:,} HTTP requests over {len(results)} "
        f"roles: {sum(server_errors.values())} server errors, {sum(failures.values())} failed "
        "checks**",
        "- failed checks: "
        + (", ".join(f"`{name}` {count}" for name, count in failures.most_common()) or "none"),
        "- server errors by request: "
        + (", ".join(f"`{name}` {count}" for name, count in server_errors.most_common()) or "none"),
        "- other answers (column *other*): "
        + (
            ", ".join(f"{status}: {count:,}" for status, count in sorted(others.items(), key=str))
            or "none"
        ),
        "",
        "| role | test cases | requests | 2xx | 400 | 401 | 403 | 404 | other | failures | time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        statuses = result.statuses
        two = sum(count for status, count in statuses.items() if str(status).startswith("2"))
        named = two + sum(statuses[code] for code in (400, 401, 403, 404))
        failed = ", ".join(f"{name} {count}" for name, count in result.failures.items()) or "0"
        lines.append(
            f"| {result.role} | {result.cases:,} | {result.requests:,} | {two:,} | "
            f"{statuses[400]:,} | {statuses[401]:,} | {statuses[403]:,} | {statuses[404]:,} | "
            f"{result.requests - named:,} | {failed} | {result.seconds:.0f} s |"
        )
    return lines


if __name__ == "__main__":
    main()
