"""The plans API (DESIGN §8): shapes, transitions, errors and who may do what."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from accounts.models import Role
from plans.models import Plan
from tests.accounts.factories import member
from tests.plans.factories import (
    actor,
    approved_plan,
    make_plan,
    report,
    submitted_plan,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/plans/"


@pytest.fixture
def api(api_client):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api_client


def as_user(api, user):
    api.force_authenticate(user)
    return api


def body(**overrides):
    values = {
        "insurer": "8101",
        "period_start": "2026-01",
        "period_end": "2026-12",
        "measures": {
            "digital_care": "Beeldbellen voor controles.",
            "right_place": "Poliklinische nazorg bij de huisarts.",
            "cooperation": "Heupoperaties bij ZBC Kliniek Oost.",
            "staff": "Extra OK-team op zaterdag, met hersteldagen.",
            "follow_up_care": "Revalidatieplekken afgesproken.",
        },
        "lines": [
            {
                "specialism": "0305",
                "urgency_class": 4,
                "backlog": 120,
                "planned": [{"month": f"2026-{m:02d}", "volume": 10} for m in range(1, 13)],
            },
            {"specialism": "0303", "urgency_class": 3, "backlog": 0, "planned": []},
        ],
    }
    values.update(overrides)
    return values


def test_a_planner_creates_a_plan(api, planner, insurer) -> None:
    response = as_user(api, planner).post(URL, body(), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft"
    assert data["version"] == 0
    assert data["insurer"] == "8101"
    assert data["provider"] == planner.membership.organisation.provider.agb_code
    assert data["period_start"] == "2026-01" and data["period_end"] == "2026-12"
    assert data["forecast"] == {
        "projected_clearance_month": "2026-12",
        "on_track": True,
        "behind": False,
        "last_reported_month": None,
        "backlog": 120,
        "realised_to_date": 0,
        "remaining": 120,
    }
    assert data["measures"]["staff"] == "Extra OK-team op zaterdag, met hersteldagen."
    orthopedics = next(line for line in data["lines"] if line["specialism"] == "0305")
    assert orthopedics["planned"][0] == {"month": "2026-01", "volume": 10}
    assert orthopedics["forecast"]["basis"] == "plan"
    assert data["history"][0]["to_status"] == "draft"


def test_a_provider_api_key_creates_a_plan(api, api_key_for, provider_org, insurer) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(provider_org)}")
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201
    assert Plan.objects.get().created_by.startswith("api-key:")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"insurer": "0000"}, "insurer"),
        ({"period_start": "2026-13"}, "period_start"),
        ({"period_start": "2026-03-01"}, "period_start"),
        ({"period_end": "2025-12"}, "period_end"),
        ({"lines": [{"specialism": "305", "urgency_class": 4, "backlog": 1}]}, "lines"),
        ({"lines": [{"specialism": "0305", "urgency_class": 2, "backlog": 1}]}, "lines"),
        ({"lines": [{"specialism": "0305", "urgency_class": 4, "backlog": -1}]}, "lines"),
        ({"measures": {"staff": "x" * 10_001}}, "measures"),
    ],
)
def test_invalid_input_is_400_naming_the_field(api, planner, insurer, overrides, field) -> None:
    response = as_user(api, planner).post(URL, body(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Plan.objects.exists()


def test_domain_errors_name_the_line(api, planner, insurer) -> None:
    lines = [
        {
            "specialism": "0305",
            "urgency_class": 4,
            "backlog": 5,
            "planned": [{"month": "2027-02", "volume": 5}],
        },
        {"specialism": "0305", "urgency_class": 4, "backlog": 5},
        {"specialism": "9999", "urgency_class": 5, "backlog": 5},
    ]
    response = as_user(api, planner).post(URL, body(lines=lines), format="json")

    assert response.status_code == 400
    messages = response.json()["lines"]
    assert "Line 1 (0305, class 4): 2027-02 is outside the period" in messages[0]
    assert "already planned in Line 1" in messages[1]
    assert "unknown specialism “9999”" in messages[2]


def test_a_contract_manager_may_not_create(api, contract_manager, insurer) -> None:
    assert as_user(api, contract_manager).post(URL, body(), format="json").status_code == 403


def test_no_credentials_is_401(api) -> None:
    assert api.get(URL).status_code == 401
    assert api.post(URL, body(), format="json").status_code == 401


def test_the_lifecycle_through_the_api(api, planner, contract_manager, insurer) -> None:
    plan_id = as_user(api, planner).post(URL, body(), format="json").json()["id"]

    response = api.post(f"{URL}{plan_id}/submit/", {"comment": "Graag reactie."}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("submitted", 1)

    as_user(api, contract_manager)
    response = api.post(f"{URL}{plan_id}/review/", {"decision": "request_changes"}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()
    response = api.post(
        f"{URL}{plan_id}/review/",
        {"decision": "request_changes", "comment": "Toelichting personeel ontbreekt."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "changes_requested"

    as_user(api, planner)
    response = api.patch(
        f"{URL}{plan_id}/",
        {"measures": {"staff": "Twee extra anesthesiemedewerkers."}},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["measures"]["staff"] == "Twee extra anesthesiemedewerkers."
    assert response.json()["measures"]["digital_care"] == "Beeldbellen voor controles."
    assert api.post(f"{URL}{plan_id}/submit/", {}, format="json").json()["version"] == 2

    as_user(api, contract_manager)
    response = api.post(f"{URL}{plan_id}/review/", {"decision": "approve"}, format="json")
    assert response.json()["status"] == "approved"
    history = response.json()["history"]
    assert [step["to_status"] for step in history] == [
        "draft",
        "submitted",
        "changes_requested",
        "submitted",
        "approved",
    ]
    assert history[2]["comment"] == "Toelichting personeel ontbreekt."

    as_user(api, planner)
    response = api.post(
        f"{URL}{plan_id}/progress/",
        {"month": "2026-01", "lines": [{"specialism": "0305", "urgency_class": 4, "realised": 8}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    forecast = response.json()["forecast"]
    assert forecast["realised_to_date"] == 8
    assert forecast["last_reported_month"] == "2026-01"
    assert forecast["behind"] is True  # 8 < 90 % of 10
    line = next(li for li in response.json()["lines"] if li["specialism"] == "0305")
    assert line["realised"] == [{"month": "2026-01", "realised": 8}]
    assert line["forecast"]["pace"] == 8.0
    assert line["forecast"]["projected_clearance_month"] == "2027-03"  # Jan + ⌈112 / 8⌉ = 14

    as_user(api, contract_manager)
    response = api.post(f"{URL}{plan_id}/close/", {}, format="json")
    assert response.json()["status"] == "closed"


def test_put_replaces_the_whole_plan(api, planner, insurer) -> None:
    plan_id = as_user(api, planner).post(URL, body(), format="json").json()["id"]
    response = api.put(
        f"{URL}{plan_id}/",
        {"insurer": "8101", "period_start": "2026-01", "period_end": "2026-06"},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["lines"] == []
    assert data["measures"]["staff"] == ""
    assert data["period_end"] == "2026-06"


def test_illegal_transition_is_400(api, planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    response = as_user(api, planner).post(
        f"{URL}{plan.pk}/progress/",
        {"month": "2026-01", "lines": [{"specialism": "0305", "urgency_class": 4, "realised": 1}]},
        format="json",
    )
    assert response.status_code == 400
    assert "Progress is reported once" in response.json()["non_field_errors"][0]


def test_editing_a_submitted_plan_is_400(api, planner, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    response = as_user(api, planner).patch(
        f"{URL}{plan.pk}/", {"measures": {"staff": "x"}}, format="json"
    )
    assert response.status_code == 400


def test_roles_per_operation(api, planner, contract_manager, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    mediator = member(Role.MEDIATOR, insurer)
    provider_admin = member(Role.PROVIDER_ADMIN, planner.membership.organisation)

    as_user(api, planner)
    assert api.post(f"{URL}{plan.pk}/review/", {"decision": "approve"}).status_code == 403
    assert api.post(f"{URL}{plan.pk}/close/", {}).status_code == 403
    as_user(api, contract_manager)
    assert api.post(f"{URL}{plan.pk}/submit/", {}).status_code == 403
    assert api.patch(f"{URL}{plan.pk}/", {"measures": {}}, format="json").status_code == 403
    assert api.post(f"{URL}{plan.pk}/progress/", {}).status_code == 403
    for user in (mediator, provider_admin):
        as_user(api, user)
        assert api.get(URL).status_code == 403
        assert api.get(f"{URL}{plan.pk}/").status_code == 403


def test_foreign_plans_are_404(api, planner, insurer, other_insurer, other_provider_org):
    plan = submitted_plan(planner, insurer)
    other_planner = member(Role.PLANNER, other_provider_org)
    other_manager = member(Role.CONTRACT_MANAGER, other_insurer)

    as_user(api, other_planner)
    assert api.get(f"{URL}{plan.pk}/").status_code == 404
    assert api.post(f"{URL}{plan.pk}/submit/", {}).status_code == 404
    assert api.get(f"{URL}999999/").status_code == 404
    as_user(api, other_manager)
    assert api.get(f"{URL}{plan.pk}/").status_code == 404
    assert api.post(f"{URL}{plan.pk}/review/", {"decision": "approve"}).status_code == 404


def test_an_insurer_does_not_see_drafts(api, planner, contract_manager, insurer) -> None:
    draft = make_plan(planner, insurer)
    as_user(api, contract_manager)
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    assert api.get(URL).json()["count"] == 0


def test_an_insurer_api_key_reviews(api, api_key_for, planner, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(insurer)}")
    response = api.post(f"{URL}{plan.pk}/review/", {"decision": "approve"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_the_regulator_sees_statuses_and_aggregates_without_review_texts(
    api, planner, contract_manager, insurer, regulator
) -> None:
    plan = submitted_plan(planner, insurer)
    from plans.services.lifecycle import plan_request_changes

    plan_request_changes(actor=actor(contract_manager), plan=plan, comment="GEHEIME TOELICHTING")
    as_user(api, regulator)

    detail = api.get(f"{URL}{plan.pk}/")

    assert detail.status_code == 200
    data = detail.json()
    assert data["status"] == "changes_requested"
    assert data["forecast"]["backlog"] == 120
    assert "GEHEIME" not in detail.content.decode()
    assert "measures" not in data and "lines" not in data
    assert [step["to_status"] for step in data["history"]] == [
        "draft",
        "submitted",
        "changes_requested",
    ]
    assert "comment" not in data["history"][2]
    assert api.get(URL).json()["count"] == 1
    assert api.post(f"{URL}{plan.pk}/review/", {"decision": "approve"}).status_code == 403


def test_list_filters(api, planner, contract_manager, insurer, other_insurer) -> None:
    on_track = approved_plan(planner, contract_manager, insurer)
    report(planner, on_track, "2026-01", {("0305", 4): 12})
    behind = submitted_plan(planner, other_insurer)
    report(planner, behind, "2026-01", {("0305", 4): 1})
    draft = make_plan(planner, insurer, period=(date(2027, 1, 1), date(2027, 12, 1)), lines=[])
    as_user(api, planner)

    def ids(query: str) -> list[int]:
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return sorted(item["id"] for item in response.json()["results"])

    assert ids("") == sorted([on_track.pk, behind.pk, draft.pk])
    assert ids("status=approved") == [on_track.pk]
    assert ids("insurer=8102") == [behind.pk]
    assert ids("on_track=true") == [on_track.pk]
    assert ids("on_track=false") == sorted([behind.pk, draft.pk])
    provider = planner.membership.organisation.provider.agb_code
    assert ids(f"provider={provider}") == sorted([on_track.pk, behind.pk, draft.pk])
    assert ids("provider=00000000") == []
    assert api.get(f"{URL}?status=bogus").status_code == 400
    assert api.get(f"{URL}?insurer=abc").status_code == 400

    page = api.get(URL).json()
    assert set(page) == {"count", "next", "previous", "results"}
    # Newest period first: the 2027 draft (no lines, no projection), then the 2026 plans.
    assert page["results"][0]["id"] == draft.pk
    assert page["results"][0]["forecast"]["projected_clearance_month"] is None
    assert page["results"][1]["forecast"]["projected_clearance_month"] is not None
