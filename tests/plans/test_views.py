"""The plans pages: what each role sees and does, with the services' errors shown in place."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import Role
from plans.models import Plan, PlanProgress, PlanStatus
from plans.services.editing import plan_lines_replace, plan_update
from plans.services.lifecycle import plan_request_changes, plan_submit
from tests.accounts.factories import member
from tests.plans.factories import (
    actor,
    approved_plan,
    changes_requested_plan,
    line,
    make_plan,
    submitted_plan,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def url(name: str, *args) -> str:
    return reverse(f"plans:{name}", args=args)


def xlsx(rows) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Regels"
    sheet.append(["code", "name", "class", "backlog", *[f"2026-{m:02d}" for m in range(1, 13)]])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "plan.xlsx"
    return buffer


def test_anonymous_users_go_to_the_login_page(client) -> None:
    response = client.get(url("plan-list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_planner_sees_own_plans(client, planner, insurer, other_provider_org) -> None:
    own = make_plan(planner, insurer)
    foreign = make_plan(member(Role.PLANNER, other_provider_org), insurer)

    response = login(client, planner).get(url("plan-list"))

    assert response.status_code == 200
    assert f'data-plan="{own.pk}"' in response.content.decode()
    assert f'data-plan="{foreign.pk}"' not in response.content.decode()


def test_create_a_plan(client, planner, insurer) -> None:
    login(client, planner)
    response = client.post(
        url("plan-create"),
        {
            "insurer": insurer.uzovi,
            "period_start": "2026-01",
            "period_end": "2026-12",
            "digital_care": "Beeldbellen.",
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("plan-detail", plan.pk)
    assert (plan.status, plan.digital_care, plan.period_end) == (
        "draft",
        "Beeldbellen.",
        date(2026, 12, 1),
    )


def test_create_shows_the_services_errors(client, planner, insurer) -> None:
    make_plan(planner, insurer)
    response = login(client, planner).post(
        url("plan-create"),
        {"insurer": insurer.uzovi, "period_start": "2026-06", "period_end": "2026-05"},
    )
    assert response.status_code == 400
    assert "The last month cannot be before the first month." in response.content.decode()

    response = client.post(
        url("plan-create"),
        {"insurer": insurer.uzovi, "period_start": "2026-06", "period_end": "2027-05"},
    )
    assert response.status_code == 400
    assert "already covers (part of) this period" in response.content.decode()
    assert Plan.objects.count() == 1


def test_the_lines_editor_saves_all_lines(client, planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line("0305", 4, 120)])
    login(client, planner)
    page = client.get(url("plan-lines", plan.pk) + "?extra=2")
    assert page.status_code == 200
    assert page.context["formset"].total_form_count() == 3

    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "1",
        "lines-0-specialism": "0305",
        "lines-0-urgency_class": "4",
        "lines-0-backlog": "100",
        "lines-0-2026-01": "50",
        "lines-0-2026-02": "50",
        "lines-1-specialism": "0303",
        "lines-1-urgency_class": "3",
        "lines-1-backlog": "30",
        "lines-1-2026-03": "30",
    }
    response = client.post(url("plan-lines", plan.pk), data)

    assert response.status_code == 302
    lines = {(li.specialism.code, li.urgency_class): li for li in plan.lines.all()}
    assert set(lines) == {("0305", 4), ("0303", 3)}
    assert lines[("0305", 4)].planned == {"2026-01": 50, "2026-02": 50}
    plan.refresh_from_db()
    assert plan.backlog_total == 130
    assert plan.projected_clearance_month == date(2026, 3, 1)


def test_the_lines_editor_marks_the_rows_in_error(client, planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line("0305", 4, 120)])
    data = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "1",
        "lines-0-specialism": "0305",
        "lines-0-urgency_class": "4",
        "lines-0-backlog": "100",
        "lines-1-specialism": "0305",
        "lines-1-urgency_class": "4",
        "lines-1-backlog": "5",
        "lines-2-specialism": "0303",
        "lines-2-2026-01": "-1",
    }

    response = login(client, planner).post(url("plan-lines", plan.pk), data)

    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert forms[2].errors["urgency_class"] and forms[2].errors["backlog"]
    assert forms[2].errors["2026-01"]
    assert plan.lines.get().backlog == 120  # nothing saved

    # Without the field errors, the service's duplicate check marks the second row.
    data.update({"lines-2-specialism": "", "lines-2-2026-01": ""})
    response = client.post(url("plan-lines", plan.pk), data)
    assert response.status_code == 400
    assert "already planned in Line 1" in str(response.context["formset"].forms[1].errors)


def test_remove_drops_a_line(client, planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line("0305", 4), line("0303", 3, 10, {})])
    data = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "2",
        "lines-0-specialism": "0303",
        "lines-0-urgency_class": "3",
        "lines-0-backlog": "10",
        "lines-0-remove": "on",
        "lines-1-specialism": "0305",
        "lines-1-urgency_class": "4",
        "lines-1-backlog": "120",
    }
    assert login(client, planner).post(url("plan-lines", plan.pk), data).status_code == 302
    assert [li.specialism.code for li in plan.lines.all()] == ["0305"]


def test_upload_replaces_the_lines_or_lists_the_errors(client, planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    login(client, planner)

    bad = client.post(url("plan-upload", plan.pk), {"file": xlsx([["0305", "", 4, 10, -1]])})
    assert bad.status_code == 400
    assert "Regels, row 2, column E: a volume cannot be negative." in bad.content.decode()
    assert plan.lines.get().backlog == 120

    not_excel = io.BytesIO(b"a;b\n1;2\n")
    not_excel.name = "plan.csv"
    response = client.post(url("plan-upload", plan.pk), {"file": not_excel})
    assert response.status_code == 400
    assert "This is not an Excel workbook (.xlsx)" in response.content.decode()

    good = client.post(url("plan-upload", plan.pk), {"file": xlsx([["0303", "", 3, 60, 60]])})
    assert good.status_code == 302
    assert [(li.specialism.code, li.backlog) for li in plan.lines.all()] == [("0303", 60)]


def test_submit_and_its_refusal(client, planner, insurer) -> None:
    empty = make_plan(planner, insurer, lines=[])
    login(client, planner)
    response = client.post(url("plan-submit", empty.pk), follow=True)
    assert "Add at least one line before you submit the plan." in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == "draft"

    plan_lines_replace(actor=actor(planner), plan=empty, lines=[line()])
    response = client.post(url("plan-submit", empty.pk), {"comment": "Zie bijlage."}, follow=True)
    empty.refresh_from_db()
    assert (empty.status, empty.version) == ("submitted", 1)
    assert "Version 1 of your plan has been sent to" in response.content.decode()


def test_review_shows_the_diff_and_records_the_decision(
    client, planner, contract_manager, insurer
) -> None:
    plan = changes_requested_plan(planner, contract_manager, insurer)
    plan_update(
        actor=actor(planner),
        plan=plan,
        measures={"staff": "Extra OK-team op zaterdag."},
        lines=[line(backlog=150)],
    )
    plan_submit(actor=actor(planner), plan=plan)
    login(client, contract_manager)

    page = client.get(url("plan-review", plan.pk))
    content = page.content.decode()
    assert page.status_code == 200
    assert "What changed in version 2 (since version 1)" in content
    assert "<del>120</del> → <ins>150</ins>" in content
    assert "Extra OK-team op zaterdag." in content
    assert 'data-measure="staff"' in content

    refused = client.post(url("plan-review", plan.pk), {"decision": "request_changes"})
    assert refused.status_code == 400
    assert "a comment is required" in refused.content.decode()

    response = client.post(url("plan-review", plan.pk), {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_the_inbox_lists_submitted_plans_addressed_to_the_insurer(
    client, planner, contract_manager, insurer, other_insurer
) -> None:
    waiting = submitted_plan(planner, insurer)
    elsewhere = submitted_plan(planner, other_insurer)
    draft = make_plan(planner, insurer, period=(date(2027, 1, 1), date(2027, 12, 1)), lines=[])

    content = login(client, contract_manager).get(url("plan-list")).content.decode()

    assert f'data-plan="{waiting.pk}"' in content
    assert f'data-plan="{elsewhere.pk}"' not in content
    assert f'data-plan="{draft.pk}"' not in content
    assert client.get(url("plan-detail", draft.pk)).status_code == 404


def test_progress_page_reports_a_month(client, planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    plan_line = plan.lines.get()
    login(client, planner)

    page = client.get(url("plan-progress", plan.pk))
    assert page.status_code == 200
    assert page.context["month"] == date(2026, 1, 1)  # the first month not reported yet

    response = client.post(
        url("plan-progress", plan.pk), {"month": "2026-01", f"realised_{plan_line.pk}": "9"}
    )
    assert response.status_code == 302
    assert list(PlanProgress.objects.values_list("month", "realised")) == [(date(2026, 1, 1), 9)]
    assert client.get(url("plan-progress", plan.pk)).context["month"] == date(2026, 2, 1)

    # Choosing a reported month shows what was reported, to correct it.
    again = client.get(url("plan-progress", plan.pk) + "?month=2026-01")
    assert again.context["form"][f"realised_{plan_line.pk}"].value() == 9

    empty = client.post(url("plan-progress", plan.pk), {"month": "2026-02"})
    assert empty.status_code == 400
    assert "at least one line" in empty.content.decode()


def test_the_detail_page_shows_forecast_chart_and_actions(
    client, planner, contract_manager, insurer
) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    login(client, planner)
    content = client.get(url("plan-detail", plan.pk)).content.decode()

    assert 'data-burndown="burndown-data"' in content
    assert 'id="burndown-data"' in content
    assert "js/plans.js" in content
    assert url("plan-progress", plan.pk) in content
    assert url("plan-lines", plan.pk) not in content  # approved: no editing
    login(client, contract_manager)
    content = client.get(url("plan-detail", plan.pk)).content.decode()
    assert url("plan-close", plan.pk) in content
    assert url("plan-progress", plan.pk) not in content


def test_close_from_the_page(client, planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    response = login(client, contract_manager).post(
        url("plan-close", plan.pk), {"comment": "Klaar"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    assert plan.transitions.last().comment == "Klaar"


def test_delete_a_draft(client, planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    response = login(client, planner).post(url("plan-delete", plan.pk))
    assert response.status_code == 302
    assert not Plan.objects.exists()


def test_a_version_stays_readable(client, planner, contract_manager, insurer) -> None:
    plan = changes_requested_plan(planner, contract_manager, insurer)
    plan_lines_replace(actor=actor(planner), plan=plan, lines=[line(backlog=999)])
    login(client, planner)

    page = client.get(url("plan-version", plan.pk, 1))

    assert page.status_code == 200
    rows = page.context["snapshot_lines"]
    assert [(r["specialism"], r["backlog"]) for r in rows] == [("0305", 120)]
    assert client.get(url("plan-version", plan.pk, 2)).status_code == 404


def test_portfolio_and_its_csv(client, planner, contract_manager, insurer, other_insurer) -> None:
    mine = approved_plan(planner, contract_manager, insurer)
    submitted_plan(planner, other_insurer)
    login(client, contract_manager)

    page = client.get(url("plan-portfolio"))
    assert page.status_code == 200
    assert page.context["aggregates"].plans == 1
    assert page.context["aggregates"].specialisms[0].backlog == 120

    response = client.get(url("plan-portfolio") + "?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["plan", "provider AGB", "provider"]
    assert [row[0] for row in rows[1:]] == [str(mine.pk)]
    assert rows[1][5] == "Approved" and rows[1][12] == "yes"

    response = client.get(url("plan-portfolio") + "?format=csv&table=specialisms")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:3] == ["0305", "Orthopedie", "1"]
    assert rows[1][-1] == "100.0"

    filtered = client.get(url("plan-portfolio") + "?status=submitted")
    assert filtered.context["aggregates"].plans == 0


def test_csv_cells_that_look_like_formulas_are_text(
    client, contract_manager, insurer, provider_org
) -> None:
    provider = provider_org.provider
    provider.name = "=HYPERLINK(1)"
    provider.save()
    planner = member(Role.PLANNER, provider_org)
    submitted_plan(planner, insurer)
    response = login(client, contract_manager).get(url("plan-portfolio") + "?format=csv")
    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_the_regulator_sees_aggregates_without_review_texts(
    client, planner, contract_manager, insurer, regulator
) -> None:
    plan = submitted_plan(planner, insurer)
    plan_request_changes(actor=actor(contract_manager), plan=plan, comment="VERTROUWELIJK")
    login(client, regulator)

    page = client.get(url("plan-list"))

    assert page.status_code == 200
    assert "VERTROUWELIJK" not in page.content.decode()
    assert page.context["aggregates"].plans == 1
    assert 'data-status="changes_requested"' in page.content.decode()
    assert client.get(url("plan-overview")).status_code == 200
    assert client.get(url("plan-detail", plan.pk)).status_code == 403
    assert client.get(url("plan-export", plan.pk)).status_code == 403
    assert client.get(url("plan-review", plan.pk)).status_code == 403
