"""Load: a realistic mix of simulated users through gunicorn (issue 12).

    REDIS_URL=redis://127.0.0.1:6379/14 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zb_load \\
        .venv/bin/python benchmarks/bench_load.py

Budget (issue 12): 200 simulated users with a think time of 2–5 s for 5 minutes, on gunicorn +
PostgreSQL + Redis with the national-scale data of ``generate.py``: **0 errors and p95 < 500 ms**.
``--saturation`` steps the number of users up (``--steps``, ``--step-seconds`` each) until p95
reaches 500 ms or errors appear, and reports the highest load that stayed below: the saturation
point.

What it prepares in the benchmark database (idempotent; every row recognisable as benchmark data,
names starting with ``bench-load-`` or ``Bench``): a benchmark insurer (UZOVI 9897) with purchase
contracts for about 70 % of the benchmark providers, 10 mediators and an API key; ``--cases``
(default 1,000) open mediation cases of that insurer (patients near benchmark locations, as in
``bench_matching.py``: 40 % submitted, 30 % in progress, 30 % with an open offer) whose patient
tokens are derived from their references, so a later run can use them again; four benchmark
providers (two hospitals, a UMC and a ZBC, drawn from ``--seed``) each with a planner and an API
key. Users and keys go through ``accounts.services``; the cases are bulk-created (their
references from ``mediation.services.cases.case_references_allocate``), because the request
service would queue a confirmation mail per case. Staff sessions are created in Django's session
store (no login form, so no lockout and no password). A new API key replaces the previous one on
every run.

How the load is made: gunicorn on 127.0.0.1 (``gthread`` workers, ``--workers`` × ``--threads``,
keep-alive longer than a think time: a sync worker closes the connection after each answer and
then waits on the next one until its request comes, so a thinking user would hold a whole
worker) and ``wrk`` with a Lua script written into a temporary folder. One wrk connection is one
simulated user: ``delay()`` returns a random think time of 2,000–5,000 ms before each request
(the users arrive one by one over the first 2 s), ``request()`` draws the next request from
the weighted mix (``MIX``, ``--weights``), ``response()`` counts status codes and ``done()``
prints requests, latency percentiles (wrk's histogram; the think time is not part of the
latency) and errors as ``ZB …`` lines that this script reads. Errors are socket errors
(connect, read, write, timeout after 30 s) and every answer that is not 2xx: every request of the
mix answers 200 when it works, so a redirect (a lost session) counts as an error too.
Throttling is lifted in gunicorn (all load comes from one address). Before the measurement, 10
requests per endpoint are sent one at a time and must all answer 2xx (their times and gunicorn's
CPU time per request are recorded too); ``--check`` does only that, with ``--check-requests``
per endpoint, and prints the table.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import cycle, islice
from urllib.parse import urlencode, urlparse

from bench_matching import contracts_create, make_cases
from bench_search import search_api_paths, search_terms
from django_setup import setup_django
from generate import LOCATION_PREFIX, NAME_PREFIX, PROVIDER_PREFIX
from loopback import (
    LIFTED_THROTTLES,
    cache_description,
    cpu_seconds,
    database_cpu_seconds,
    http_get,
    run_wrk,
    start_gunicorn,
    stop_gunicorn,
    worker_pids,
)
from results import append_result

BUDGET_P95_MS = 500
BUDGET_USERS = 200
PORT = 8798
THINK_MS = (2000, 5000)
# The users arrive one by one over the shortest think time (not all in the first millisecond),
# and no longer: gunicorn's gthread worker holds a thread for a new connection until its first
# request arrives, so no user's second request may come while others are still arriving.
RAMP_MS = THINK_MS[0]
WRK_TIMEOUT_S = 30
PREFLIGHT_REQUESTS = 10
DEFAULT_STEPS = "200,300,400,600,800,1200,1600,2400,3200"

BENCH_INSURER_UZOVI = "9897"  # bench_matching.py uses 9899 (and rolls it back)
BENCH_INSURER_NAME = "Bench Load Verzekeraar"
USER_PREFIX = "bench-load-"
API_KEY_NAME = "bench-load"
POLICY_PREFIX = "BL"
MEDIATORS = 10
# The patients' access tokens are derived from their case references with this key, so that a
# later run finds the tokens of the cases it made before (only the digest is stored). The cases
# are fictional benchmark rows in a benchmark database.
TOKEN_KEY = b"zb-bench-load"
SEARCHES = 2000

# The mix: (name, weight, who, what). Weights are relative; --weights changes them.
MIX: list[tuple[str, int, str, str]] = [
    ("home", 10, "public", "`GET /` (home page)"),
    (
        "search-page",
        20,
        "public",
        "`GET /wachttijden/?postcode=…&specialism=…&max_distance_km=50` (search page with results)",
    ),
    (
        "search-api",
        15,
        "public",
        "`GET /api/v1/waiting-times/current/?postcode=…&specialism=…&max_distance_km=50`",
    ),
    ("status-page", 10, "patient", "`GET /bemiddeling/status/<reference>/<token>/`"),
    ("patient-api", 5, "patient", "`GET /api/v1/mediation-requests/<reference>/` (X-Access-Token)"),
    (
        "queue-page",
        8,
        "mediator",
        "`GET /bemiddeling/zaken/` (session; page 1, page 2, overdue only, one urgency class)",
    ),
    ("case-page", 6, "mediator", "`GET /bemiddeling/zaken/<reference>/` (session; with matches)"),
    ("case-api", 10, "mediator", "`GET /api/v1/cases/<reference>/` (insurer API key)"),
    (
        "case-list-api",
        4,
        "mediator",
        "`GET /api/v1/cases/` (insurer API key; all, submitted, overdue, one urgency class)",
    ),
    ("grid-page", 4, "planner", "`GET /wachttijden/invoeren/` (session; all or one location)"),
    ("series-page", 4, "planner", "`GET /wachttijden/reeks/<pk>/` (session; history and chart)"),
    (
        "planner-api",
        4,
        "planner",
        "`GET /api/v1/waiting-times/current/?region=…&specialism=…` (provider API key: the "
        "own region's figures of an own specialism)",
    ),
]


# --- What the mix needs in the database ---------------------------------------------------------
@dataclass
class Planner:
    provider: str
    cookie: str
    api_key: str
    region: str
    locations: list[str]
    series: list[int]
    specialisms: list[str]


@dataclass
class Fixture:
    insurer_key: str
    mediator_cookies: list[str]
    cases: list[tuple[str, str]]  # (reference, token)
    planners: list[Planner]
    data: str


def patient_token(reference: str) -> str:
    digest = hmac.new(TOKEN_KEY, reference.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_benchmark_database() -> None:
    """Only on a database of generate.py's: this script adds users, keys and cases."""
    from providers.models import Provider

    benchmark = Provider.objects.filter(
        agb_code__startswith=PROVIDER_PREFIX, name__startswith=NAME_PREFIX
    )
    if not benchmark.exists():
        sys.exit("No benchmark providers: run benchmarks/generate.py on this database first.")
    if Provider.objects.exclude(pk__in=benchmark.values("pk")).exists():
        sys.exit(
            "The database holds providers that are not benchmark data; bench_load.py adds users, "
            "API keys and cases and runs only on a benchmark database (createdb zb_load, then "
            "generate.py)."
        )


def _member(organisation, username: str, role: str):
    from accounts.models import User
    from accounts.services import member_create

    user = User.objects.filter(username=username).first()
    if user is None:
        user = member_create(organisation=organisation, username=username, role=role)
    return user


def _fresh_api_key(organisation) -> str:
    """A new key for this run; the previous run's key is revoked."""
    from accounts.services import api_key_create, api_key_revoke

    for old in organisation.api_keys.filter(name=API_KEY_NAME, revoked_at__isnull=True):
        api_key_revoke(api_key=old)
    _key, raw = api_key_create(organisation=organisation, name=API_KEY_NAME)
    return raw


def _session_cookie(user) -> str:
    """A logged-in staff session, made in the configured session store (database, and the
    Redis cache with ``cached_db``), as the ``Cookie`` header value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def _create_cases(*, insurer, mediators: list, count: int, first_number: int, seed: int) -> None:
    """``count`` open cases of ``insurer`` (40 % submitted, 30 % in progress, 30 % offered with
    one open offer), with their timeline's first events."""
    from django.db.models import Max
    from django.utils import timezone

    from core.working_days import add_working_days
    from mediation.models import (
        Case,
        CaseEvent,
        CaseEventKind,
        CaseStatus,
        Offer,
        mediation_settings_for,
    )
    from mediation.services.cases import access_token_digest, case_references_allocate
    from mediation.services.transitions import PATIENT_LABEL
    from providers.models import WaitingTimeSeries

    latest = WaitingTimeSeries.objects.aggregate(latest=Max("current_reference_date"))["latest"]
    if latest is None:
        sys.exit("No waiting-time data: run benchmarks/generate.py first.")
    rng = random.Random(seed * 7919 + first_number)
    drafts = make_cases(
        count=count, seed=seed + first_number, today=latest + timedelta(days=1), insurer=insurer
    )
    now = timezone.now()
    references = case_references_allocate(year=timezone.localdate(now).year, count=count)
    working_days = mediation_settings_for(insurer).first_contact_working_days
    elsewhere: dict[int, list[int]] = {}
    for specialism_id, location_id in (
        WaitingTimeSeries.objects.filter(location__code__startswith=LOCATION_PREFIX)
        .values_list("specialism_id", "location_id")
        .distinct()
        .order_by("specialism_id", "location_id")
    ):
        elsewhere.setdefault(specialism_id, []).append(location_id)

    for number, (case, reference) in enumerate(zip(drafts, references, strict=True), first_number):
        submitted = now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
        case.reference = reference
        case.access_token_hash = access_token_digest(patient_token(reference))
        case.policy_number = f"{POLICY_PREFIX}{number:08d}"
        case.full_name = f"Bench Patiënt {number}"
        case.email = f"bench-load-{number}@example.org"
        case.birth_date = date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
        case.submitted_at = case.consent_at = submitted
        case.first_contact_due = add_working_days(timezone.localdate(submitted), working_days)
        share = number % 10
        if share >= 4:
            case.status = CaseStatus.IN_PROGRESS if share < 7 else CaseStatus.OFFERED
            case.first_contact_at = min(now, submitted + timedelta(hours=rng.randint(2, 40)))
            case.assigned_to = rng.choice(mediators)
    Case.objects.bulk_create(drafts)  # PostgreSQL returns their ids

    events = []
    offers = []
    for case in drafts:
        events.append(
            CaseEvent(
                case=case,
                at=case.submitted_at,
                actor_label=PATIENT_LABEL,
                kind=CaseEventKind.CREATED,
                to_status=CaseStatus.SUBMITTED,
                note="Web form",
            )
        )
        if case.first_contact_at is not None:
            events.append(
                CaseEvent(
                    case=case,
                    at=case.first_contact_at,
                    actor=case.assigned_to,
                    actor_label=case.assigned_to.username,
                    kind=CaseEventKind.CONTACT_RECORDED,
                    from_status=CaseStatus.SUBMITTED,
                    to_status=CaseStatus.IN_PROGRESS,
                )
            )
        if case.status == CaseStatus.OFFERED:
            choices = [
                pk for pk in elsewhere.get(case.specialism_id, []) if pk != case.current_location_id
            ]
            expected = rng.randint(7, 30)
            offers.append(
                Offer(
                    case=case,
                    location_id=rng.choice(choices or [case.current_location_id]),
                    expected_days=expected,
                    expected_date=timezone.localdate(now) + timedelta(days=expected),
                    distance_km=Decimal(rng.randint(50, case.max_distance_km * 10)) / 10,
                    days_gained=rng.randint(5, 60),
                    expires_at=now + timedelta(days=7),
                    made_by=case.assigned_to,
                    made_at=min(now, case.first_contact_at + timedelta(hours=rng.randint(1, 24))),
                )
            )
    CaseEvent.objects.bulk_create(events)
    Offer.objects.bulk_create(offers)
    offer_events = [
        CaseEvent(
            case=offer.case,
            at=offer.made_at,
            actor=offer.made_by,
            actor_label=offer.made_by.username,
            kind=CaseEventKind.OFFER_MADE,
            from_status=CaseStatus.IN_PROGRESS,
            to_status=CaseStatus.OFFERED,
            offer=offer,
        )
        for offer in offers
    ]
    CaseEvent.objects.bulk_create(offer_events)


def _planner_providers(seed: int) -> list:
    """Two hospitals, a UMC and a ZBC with at least 20 series, drawn from ``seed``."""
    from django.db.models import Count

    from providers.models import Provider

    rng = random.Random(seed)
    benchmark = (
        Provider.objects.filter(agb_code__startswith=PROVIDER_PREFIX)
        .annotate(series=Count("locations__series"))
        .order_by("agb_code")
    )
    hospitals = [p for p in benchmark if p.kind == "hospital"]
    umcs = [p for p in benchmark if p.kind == "umc"]
    zbcs = [p for p in benchmark if p.kind == "zbc" and p.series >= 20]
    return [*rng.sample(hospitals, 2), rng.choice(umcs), rng.choice(zbcs)]


def _planner(provider) -> Planner:
    from accounts.models import Organisation, OrganisationKind, Role
    from accounts.services import organisation_create
    from providers.models import WaitingTimeSeries

    organisation = Organisation.objects.filter(provider=provider).first()
    if organisation is None:
        organisation = organisation_create(
            kind=OrganisationKind.PROVIDER, name=provider.name, provider=provider
        )
    user = _member(organisation, f"{USER_PREFIX}planner-{provider.agb_code}", Role.PLANNER)
    series = WaitingTimeSeries.objects.filter(
        location__provider=provider, location__is_active=True, current_days__isnull=False
    )
    return Planner(
        provider=provider.agb_code,
        cookie=_session_cookie(user),
        api_key=_fresh_api_key(organisation),
        region=provider.region.code,
        locations=sorted(
            set(provider.locations.filter(is_active=True).values_list("code", flat=True))
        ),
        series=list(series.order_by("pk").values_list("pk", flat=True)),
        specialisms=sorted(set(series.values_list("specialism__code", flat=True))),
    )


def prepare(*, case_count: int, seed: int) -> Fixture:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Organisation, OrganisationKind, Role
    from accounts.services import organisation_create
    from mediation.models import OPEN_STATUSES, Case, Offer, OfferStatus
    from providers.models import WaitingTimeReport

    check_benchmark_database()
    with transaction.atomic():
        insurer = Organisation.objects.filter(uzovi=BENCH_INSURER_UZOVI).first()
        if insurer is None:
            insurer = organisation_create(
                kind=OrganisationKind.INSURER, name=BENCH_INSURER_NAME, uzovi=BENCH_INSURER_UZOVI
            )
        contracts_create(insurer=insurer, year=timezone.localdate().year, seed=seed)
        mediators = [
            _member(insurer, f"{USER_PREFIX}mediator-{number:02d}", Role.MEDIATOR)
            for number in range(1, MEDIATORS + 1)
        ]
        insurer_key = _fresh_api_key(insurer)
        mine = Case.objects.filter(
            insurer=insurer, policy_number__startswith=POLICY_PREFIX, status__in=OPEN_STATUSES
        )
        existing = mine.count()
        created = max(0, case_count - existing)
        if created:
            _create_cases(
                insurer=insurer,
                mediators=mediators,
                count=created,
                first_number=Case.objects.filter(insurer=insurer).count() + 1,
                seed=seed,
            )
        # Nothing runs the offer expiry here: keep the benchmark's open offers open.
        Offer.objects.filter(case__in=mine, status=OfferStatus.OPEN).update(
            expires_at=timezone.now() + timedelta(days=7)
        )
        references = list(mine.order_by("reference").values_list("reference", flat=True))
        planners = [_planner(provider) for provider in _planner_providers(seed)]
    cookies = [_session_cookie(user) for user in mediators]
    return Fixture(
        insurer_key=insurer_key,
        mediator_cookies=cookies,
        cases=[(reference, patient_token(reference)) for reference in references[:case_count]],
        planners=planners,
        data=(
            f"{WaitingTimeReport.objects.count():,} waiting-time reports; "
            f"{len(references):,} open cases of the benchmark insurer ({BENCH_INSURER_UZOVI}), "
            f"{created:,} of them created by this run; {MEDIATORS} mediators; planners at "
            + ", ".join(planner.provider for planner in planners)
        ),
    )


# --- The mix --------------------------------------------------------------------------------------
Request = tuple[str, dict[str, str]]  # path, headers


def build_requests(fixture: Fixture, *, seed: int) -> dict[str, list[Request]]:
    """The requests each endpoint of the mix draws from."""
    rng = random.Random(seed)
    terms = search_terms(SEARCHES, seed)
    cookie = fixture.mediator_cookies
    insurer = {"Authorization": f"Api-Key {fixture.insurer_key}"}
    references = [reference for reference, _token in fixture.cases]
    requests: dict[str, list[Request]] = {
        "home": [("/", {})],
        "search-page": [
            (
                "/wachttijden/?"
                + urlencode({"postcode": pc4, "specialism": specialism, "max_distance_km": 50}),
                {},
            )
            for pc4, specialism in terms
        ],
        "search-api": [(path, {}) for path in search_api_paths(terms)],
        "status-page": [
            (f"/bemiddeling/status/{reference}/{token}/", {}) for reference, token in fixture.cases
        ],
        "patient-api": [
            (f"/api/v1/mediation-requests/{reference}/", {"X-Access-Token": token})
            for reference, token in fixture.cases
        ],
        "queue-page": [
            (f"/bemiddeling/zaken/{query}", {"Cookie": one})
            for one in cookie
            for query in ("", "?page=2", "?overdue=1", "?urgency_class=3")
        ],
        "case-page": [
            (f"/bemiddeling/zaken/{reference}/", {"Cookie": rng.choice(cookie)})
            for reference in references
        ],
        "case-api": [(f"/api/v1/cases/{reference}/", insurer) for reference in references],
        "case-list-api": [
            (f"/api/v1/cases/{query}", insurer)
            for query in ("", "?status=submitted", "?overdue=true", "?urgency_class=4")
        ],
        "grid-page": [],
        "series-page": [],
        "planner-api": [],
    }
    for planner in fixture.planners:
        session = {"Cookie": planner.cookie}
        requests["grid-page"] += [("/wachttijden/invoeren/", session)] + [
            (f"/wachttijden/invoeren/?location={code}", session) for code in planner.locations
        ]
        requests["series-page"] += [
            (f"/wachttijden/reeks/{pk}/", session)
            for pk in rng.sample(planner.series, min(100, len(planner.series)))
        ]
        requests["planner-api"] += [
            (
                "/api/v1/waiting-times/current/?"
                + urlencode({"region": planner.region, "specialism": specialism}),
                {"Authorization": f"Api-Key {planner.api_key}"},
            )
            for specialism in planner.specialisms
        ]
    return requests


def parse_weights(text: str) -> dict[str, int]:
    weights = {name: weight for name, weight, _who, _what in MIX}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _sep, value = part.partition("=")
        if name not in weights or not value.isdigit():
            sys.exit(f"--weights: use name=integer with names from {', '.join(weights)}")
        weights[name] = int(value)
    if not sum(weights.values()):
        sys.exit("--weights: at least one weight must be above 0")
    return weights


WRK_SCRIPT = """-- Written by benchmarks/bench_load.py: one connection is one simulated user.
local mix = {%(mix)s}
local seed = %(seed)d
local think_min, think_max = %(think_min)d, %(think_max)d
local ramp_ms, connections = %(ramp_ms)d, %(connections)d

local threads, created = {}, 0
setup = function(thread)
  created = created + 1
  thread:set("zb_thread", created)
  table.insert(threads, thread)
end

local items, cumulative, total, delays = {}, {}, 0, 0
sent_by_endpoint, answers_by_status = {}, {}

init = function(args)
  math.randomseed(seed * 1000 + (zb_thread or 0))
  for line in io.lines(os.getenv("ZB_MIX")) do
    local fields = {}
    for part in string.gmatch(line, "[^\\t]+") do fields[#fields + 1] = part end
    local headers = {}
    for i = 3, #fields do
      local name, value = string.match(fields[i], "^([^:]+): (.*)$")
      headers[name] = value
    end
    items[fields[1]] = items[fields[1]] or {}
    table.insert(items[fields[1]], {fields[2], headers})
  end
  for _, entry in ipairs(mix) do
    local name, weight = entry[1], entry[2]
    if weight > 0 then
      assert(items[name], "no requests for " .. name)
      total = total + weight
      table.insert(cumulative, {total, name})
    end
    sent_by_endpoint[name] = 0
  end
end

delay = function()
  delays = delays + 1
  if delays <= connections then
    -- the users arrive one after another over the first ramp_ms
    return math.floor((delays - 1) * ramp_ms / connections)
  end
  return math.random(think_min, think_max)
end

request = function()
  local draw, name = math.random() * total, cumulative[#cumulative][2]
  for _, step in ipairs(cumulative) do
    if draw < step[1] then name = step[2]; break end
  end
  local list = items[name]
  local item = list[math.random(#list)]
  sent_by_endpoint[name] = sent_by_endpoint[name] + 1
  return wrk.format("GET", item[1], item[2])
end

response = function(status, headers, body)
  answers_by_status[status] = (answers_by_status[status] or 0) + 1
end

done = function(summary, latency, requests)
  local sent, answers = {}, {}
  for _, thread in ipairs(threads) do
    for name, count in pairs(thread:get("sent_by_endpoint")) do
      sent[name] = (sent[name] or 0) + count
    end
    for status, count in pairs(thread:get("answers_by_status")) do
      answers[status] = (answers[status] or 0) + count
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "ZB summary requests=%%d duration_us=%%d p50_us=%%d p90_us=%%d p95_us=%%d p99_us=%%d "
      .. "max_us=%%d mean_us=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    errors.connect, errors.read, errors.write, errors.timeout))
  for name, count in pairs(sent) do io.write(string.format("ZB sent %%s %%d\\n", name, count)) end
  for status, count in pairs(answers) do
    io.write(string.format("ZB status %%d %%d\\n", status, count))
  end
end
"""


def write_wrk_files(
    folder: str,
    requests: dict[str, list[Request]],
    weights: dict[str, int],
    *,
    users: int,
    seed: int,
) -> tuple[str, str]:
    listing = os.path.join(folder, "mix.tsv")
    with open(listing, "w", encoding="utf-8") as out:
        for name, entries in requests.items():
            for path, headers in entries:
                out.write(
                    "\t".join([name, path, *(f"{key}: {value}" for key, value in headers.items())])
                    + "\n"
                )
    script = os.path.join(folder, "load.lua")
    with open(script, "w", encoding="utf-8") as out:
        out.write(
            WRK_SCRIPT
            % {
                "mix": ", ".join(f'{{"{name}", {weight}}}' for name, weight in weights.items()),
                "seed": seed,
                "think_min": THINK_MS[0],
                "think_max": THINK_MS[1],
                "ramp_ms": RAMP_MS,
                "connections": users,
            }
        )
    return script, listing


# --- Running it -----------------------------------------------------------------------------------
@dataclass
class Step:
    users: int
    seconds: int
    requests: int = 0
    duration_s: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    database_cpu_s: float = 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_s * 1000 / self.requests if self.requests else 0.0

    @property
    def database_cpu_ms_per_request(self) -> float:
        return self.database_cpu_s * 1000 / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def not_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        return self.not_2xx + sum(self.socket_errors.values())

    @property
    def within_budget(self) -> bool:
        return self.errors == 0 and self.latency_ms["p95"] < BUDGET_P95_MS

    def describe_errors(self) -> str:
        parts = [
            f"{count} × {status}"
            for status, count in sorted(self.statuses.items())
            if not 200 <= status < 300
        ] + [f"{count} {kind}" for kind, count in self.socket_errors.items() if count]
        return f"{self.errors} ({', '.join(parts)})" if parts else "0"


def parse_wrk(output: str, *, users: int, seconds: int) -> Step:
    summary = re.search(r"^ZB summary (.*)$", output, re.MULTILINE)
    if summary is None:
        sys.exit(f"wrk printed no summary (an error in the Lua script?):\n{output}")
    values = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", summary.group(1))}
    step = Step(users=users, seconds=seconds)
    step.requests = values["requests"]
    step.duration_s = values["duration_us"] / 1e6
    step.latency_ms = {
        name: values[f"{name}_us"] / 1000 for name in ("p50", "p90", "p95", "p99", "max", "mean")
    }
    step.socket_errors = {kind: values[kind] for kind in ("connect", "read", "write", "timeout")}
    step.statuses = {
        int(status): int(count)
        for status, count in re.findall(r"^ZB status (\d+) (\d+)$", output, re.M)
    }
    step.sent = {
        name: int(count) for name, count in re.findall(r"^ZB sent (\S+) (\d+)$", output, re.M)
    }
    return step


def run_step(
    requests: dict[str, list[Request]],
    weights: dict[str, int],
    *,
    server,
    port: int,
    users: int,
    seconds: int,
    seed: int,
) -> Step:
    workers = worker_pids(server)
    with tempfile.TemporaryDirectory(prefix="zb-load-") as folder:
        script, listing = write_wrk_files(folder, requests, weights, users=users, seed=seed)
        cpu_before = cpu_seconds(workers)
        db_before = database_cpu_seconds()
        output = run_wrk(
            port=port,
            script=script,
            connections=users,
            seconds=seconds,
            timeout_seconds=WRK_TIMEOUT_S,
            env={"ZB_MIX": listing},
        )
        cpu_after = cpu_seconds(workers)
        db_after = database_cpu_seconds()
    step = parse_wrk(output, users=users, seconds=seconds)
    step.server_cpu_s = cpu_after - cpu_before
    step.database_cpu_s = max(db_after - db_before, 0.0)
    return step


@dataclass
class Checked:
    sent: int
    median_ms: float
    cpu_ms: float  # gunicorn's CPU time per request
    database_cpu_ms: float = 0.0  # PostgreSQL's CPU time per request


def check(
    requests: dict[str, list[Request]],
    weights: dict[str, int],
    *,
    server,
    port: int,
    per_endpoint: int,
) -> tuple[bool, dict[str, Checked]]:
    """Send ``per_endpoint`` requests of every endpoint in the mix (its first ones), one at a time;
    print status codes, times and gunicorn's CPU time per endpoint; return whether all answered
    2xx, and the figures per endpoint."""
    good = True
    figures: dict[str, Checked] = {}
    workers = worker_pids(server)
    # Warm up first (imports, templates, database connections of each worker), unmeasured.
    for name, weight in weights.items():
        for path, headers in islice(cycle(requests[name]), 2 * len(workers) if weight else 0):
            http_get(port, path, headers)
    print(
        f"{'endpoint':<14} {'weight':>6} {'sent':>5}  {'statuses':<20} {'median':>9} {'max':>9} "
        f"{'CPU/request':>11} {'DB CPU':>8}"
    )
    for name, weight in weights.items():
        if not weight:
            continue
        statuses: dict[int, int] = {}
        times = []
        cpu_before = cpu_seconds(workers)
        db_before = database_cpu_seconds()
        for path, headers in islice(cycle(requests[name]), per_endpoint):
            status, elapsed, _body = http_get(port, path, headers)
            statuses[status] = statuses.get(status, 0) + 1
            times.append(elapsed)
            if not 200 <= status < 300:
                good = False
                print(f"  {name}: {status} for {path}", file=sys.stderr)
        cpu_ms = (cpu_seconds(workers) - cpu_before) * 1000 / len(times)
        db_ms = max(database_cpu_seconds() - db_before, 0.0) * 1000 / len(times)
        figures[name] = Checked(
            sent=len(times),
            median_ms=statistics.median(times),
            cpu_ms=cpu_ms,
            database_cpu_ms=db_ms,
        )
        shown = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
        print(
            f"{name:<14} {weight:>6} {len(times):>5}  {shown:<20} "
            f"{figures[name].median_ms:>6.0f} ms {max(times):>6.0f} ms {cpu_ms:>8.1f} ms "
            f"{db_ms:>5.1f} ms"
        )
    mean_cpu = mix_cpu_ms(figures, weights)
    mean_db = mix_cpu_ms(figures, weights, database=True)
    print(
        f"CPU per request of the mix (weighted): gunicorn {mean_cpu:.1f} ms, "
        f"PostgreSQL {mean_db:.1f} ms"
    )
    return good, figures


def mix_cpu_ms(
    figures: dict[str, Checked], weights: dict[str, int], *, database: bool = False
) -> float:
    total = sum(weights[name] for name in figures)
    return (
        sum(
            (figures[name].database_cpu_ms if database else figures[name].cpu_ms) * weights[name]
            for name in figures
        )
        / total
    )


def _mix_lines(weights: dict[str, int], sent: dict[str, int]) -> list[str]:
    total_weight = sum(weights.values())
    total_sent = sum(sent.values()) or 1
    return [
        f"  - {name} ({who}), weight {weights[name]} ({weights[name] / total_weight:.0%}), "
        f"{sent.get(name, 0):,} sent ({sent.get(name, 0) / total_sent:.0%}): {what}"
        for name, _weight, who, what in MIX
        if weights[name]
    ]


def _step_line(step: Step) -> str:
    latency = step.latency_ms
    return (
        f"{step.requests:,} requests in {step.duration_s:.0f} s, **{step.rps:.1f} requests/s**; "
        f"latency **p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, p99 "
        f"{latency['p99']:.0f} ms**, max {latency['max']:.0f} ms; "
        f"**errors {step.describe_errors()}**; CPU per request: gunicorn "
        f"{step.cpu_ms_per_request:.1f} ms, PostgreSQL {step.database_cpu_ms_per_request:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=BUDGET_USERS, help="simulated users")
    parser.add_argument("--seconds", type=int, default=300, help="duration of the measurement")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--saturation", action="store_true", help="step the users up (--steps)")
    parser.add_argument("--steps", default=DEFAULT_STEPS, help="users per saturation step")
    parser.add_argument("--step-seconds", type=int, default=60, help="duration of each step")
    parser.add_argument("--cases", type=int, default=1000, help="open cases of the insurer")
    parser.add_argument("--weights", default="", help="change weights: name=N,name=N")
    parser.add_argument("--check", action="store_true", help="send each endpoint, do not load")
    parser.add_argument("--check-requests", type=int, default=20, help="per endpoint (--check)")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    weights = parse_weights(args.weights)
    steps = [int(users) for users in args.steps.split(",")] if args.saturation else [args.users]

    setup_django()
    started = time.perf_counter()
    fixture = prepare(case_count=args.cases, seed=args.seed)
    requests = build_requests(fixture, seed=args.seed)
    print(f"prepared in {time.perf_counter() - started:.1f} s: {fixture.data}")

    keep_alive = THINK_MS[1] // 1000 + 5  # longer than a think time: the users keep their line
    gunicorn = (
        f"gunicorn gthread, {args.workers} workers × {args.threads} threads, keep-alive "
        f"{keep_alive} s, on 127.0.0.1"
    )
    server = start_gunicorn(
        port=args.port,
        workers=args.workers,
        worker_class="gthread",
        threads=args.threads,
        keep_alive=keep_alive,
        worker_connections=max(1000, max(steps) + 100),
    )
    results: list[Step] = []
    try:
        per_endpoint = args.check_requests if args.check else PREFLIGHT_REQUESTS
        good, figures = check(
            requests, weights, server=server, port=args.port, per_endpoint=per_endpoint
        )
        if args.check:
            sys.exit(0 if good else "Some requests of the mix did not answer 2xx.")
        if not good:
            sys.exit("Some requests of the mix did not answer 2xx: see above (try --check).")
        load_before = os.getloadavg()[0]
        for users in steps:
            seconds = args.step_seconds if args.saturation else args.seconds
            print(f"… {users} users for {seconds} s")
            step = run_step(
                requests,
                weights,
                server=server,
                port=args.port,
                users=users,
                seconds=seconds,
                seed=args.seed,
            )
            results.append(step)
            print(f"  {users} users: {_step_line(step)}")
            if args.saturation and not step.within_budget:
                break
            if args.saturation:
                time.sleep(5)  # let the last step's connections close
        load_after = os.getloadavg()[0]
    finally:
        stop_gunicorn(server)

    lines = [
        f"- data: {fixture.data}",
        f"- server: {gunicorn}; settings `config.settings.base` (DEBUG off); cache: "
        f"{cache_description()}, sessions in the database; throttling lifted ("
        + ", ".join(f"`{name}`" for name in LIFTED_THROTTLES)
        + "), since all load comes from one address",
        f"- users: one wrk connection each (1 wrk thread, on the same machine), think time "
        f"{THINK_MS[0]}–{THINK_MS[1]} ms (uniform) before every request, arriving over the first "
        f"{RAMP_MS / 1000:.1f} s; each request drawn from the mix:",
        *_mix_lines(weights, results[-1].sent),
        f"- before the load, {PREFLIGHT_REQUESTS} requests per endpoint one at a time (all 2xx; "
        "this also warms the workers), median time, gunicorn CPU and PostgreSQL CPU per request: "
        + ", ".join(
            f"{name} {one.median_ms:.0f} / {one.cpu_ms:.0f} / {one.database_cpu_ms:.0f} ms"
            for name, one in figures.items()
        )
        + f"; the mix's weighted mean CPU: gunicorn {mix_cpu_ms(figures, weights):.1f} ms, "
        f"PostgreSQL {mix_cpu_ms(figures, weights, database=True):.1f} ms per request",
    ]
    if args.saturation:
        passed = [step for step in results if step.within_budget]
        if not passed:
            point = (
                f"- **saturation point below {results[0].users:,} users**: the first step failed"
            )
        else:
            point = (
                f"- **saturation point: {passed[-1].users:,} users ({passed[-1].rps:.0f} "
                f"requests/s)**, the highest load with p95 < {BUDGET_P95_MS} ms and no errors"
            )
            if results[-1].within_budget:
                point += f" (every step up to {results[-1].users:,} users passed: add steps)"
        lines += [
            f"- saturation search, {args.step_seconds} s per step, stopping at the first step with "
            f"p95 ≥ {BUDGET_P95_MS} ms or an error:",
            "",
            "  | users | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors "
            "| gunicorn CPU ms/req. | PostgreSQL CPU ms/req. |",
            "  |---:|---:|---:|---:|---:|---:|---|---:|---:|",
            *(
                f"  | {step.users:,} | {step.rps:.1f} | {step.latency_ms['p50']:.0f} | "
                f"{step.latency_ms['p95']:.0f} | {step.latency_ms['p99']:.0f} | "
                f"{step.latency_ms['max']:.0f} | {step.describe_errors()} | "
                f"{step.cpu_ms_per_request:.1f} | {step.database_cpu_ms_per_request:.1f} |"
                for step in results
            ),
            "",
            point,
        ]
    else:
        step = results[0]
        budget_run = (
            step.users >= BUDGET_USERS and step.seconds >= 300 and weights == parse_weights("")
        )
        if not budget_run:
            verdict = "not judged (fewer users or seconds than the budget's, or other weights)"
        else:
            verdict = "met" if step.within_budget else "OVER"
        lines += [
            f"- {step.users} users, {step.seconds} s: {_step_line(step)}",
            f"- budget (0 errors and p95 < {BUDGET_P95_MS} ms at {BUDGET_USERS} users for 5 "
            f"minutes): {verdict}",
        ]
    lines.append(
        f"- load average (1 min) before/after: {load_before:.2f} / {load_after:.2f} "
        "(wrk shares the machine with the server)"
    )
    print("\n".join(lines))
    if not args.no_record:
        database = urlparse(os.environ["DATABASE_URL"]).path.lstrip("/")
        redis = os.environ.get("REDIS_URL", "")
        command = (
            (f"REDIS_URL=redis://…/{urlparse(redis).path.lstrip('/')} " if redis else "")
            + f"DATABASE_URL=postgres://…/{database} .venv/bin/python benchmarks/bench_load.py"
            + "".join(f" {arg}" for arg in sys.argv[1:])
        )
        title = "Load: a realistic mix through gunicorn" + (
            " — saturation" if args.saturation else ""
        )
        append_result(title, command, lines)
        print("appended to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
