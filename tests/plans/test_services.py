"""The rules of plans.services: creating and editing, validation, every transition and
refusal, versions and snapshots, progress and the stored forecast."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Role
from core.errors import ApplicationError
from plans.inputs import LineInput, ProgressLineInput
from plans.models import Plan, PlanProgress, PlanStatus, PlanVersion
from plans.services.editing import plan_delete, plan_lines_replace, plan_update
from plans.services.lifecycle import (
    TRANSITIONS,
    plan_approve,
    plan_close,
    plan_request_changes,
    plan_review,
    plan_submit,
)
from plans.services.lines import PlanLinesError
from plans.services.progress import plan_progress_report
from tests.accounts.factories import member
from tests.plans.factories import (
    TODAY,
    actor,
    approved_plan,
    changes_requested_plan,
    closed_plan,
    line,
    make_plan,
    month,
    report,
    submitted_plan,
)

pytestmark = pytest.mark.django_db


# --- Creating ----------------------------------------------------------------------------------
def test_create_stores_a_draft_with_lines_forecast_and_history(planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line(), line("0303", 3, 40, {"2026-02": 40})])

    assert plan.status == PlanStatus.DRAFT
    assert plan.version == 0
    assert plan.provider == planner.membership.organisation.provider
    assert plan.lines.count() == 2
    assert plan.backlog_total == 160
    assert plan.projected_clearance_month == date(2026, 12, 1)
    assert plan.on_track is True
    assert plan.digital_care == "Beeldbellen voor controles."
    [created] = plan.transitions.all()
    assert (created.from_status, created.to_status, created.actor) == ("", "draft", planner)
    assert AuditEvent.objects.filter(object_type="plans.plan", action="create").count() == 1


def test_zero_volumes_are_not_stored(planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[line(planned={"2026-01": 0, "2026-02": 7})])

    assert plan.lines.get().planned == {"2026-02": 7}


def test_only_a_planner_of_a_provider_creates_plans(contract_manager, insurer) -> None:
    with pytest.raises(PermissionDenied):
        make_plan(contract_manager, insurer)


def test_the_insurer_must_be_an_insurer(planner, provider_org) -> None:
    with pytest.raises(ValidationError) as error:
        make_plan(planner, provider_org)
    assert error.value.message_dict == {"insurer": ["Unknown insurer."]}


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ((date(2026, 6, 1), date(2026, 5, 1)), "period_end", "cannot be before"),
        ((date(2026, 1, 1), date(2028, 1, 1)), "period_end", "at most 24 months"),
    ],
)
def test_period_rules(planner, insurer, period, field, message) -> None:
    with pytest.raises(ValidationError) as error:
        make_plan(planner, insurer, period=period, lines=[])
    assert message in error.value.message_dict[field][0]


@pytest.mark.parametrize(
    ("years", "fields"),
    [
        ((-6, -6), {"period_start", "period_end"}),
        ((-6, -5), {"period_start"}),
        ((5, 6), {"period_end"}),
        (("9999", "9999"), {"period_start", "period_end"}),  # its forecast ran off the calendar
    ],
)
def test_the_period_lies_within_five_years_of_today(planner, insurer, years, fields) -> None:
    this_year = timezone.localdate().year
    first, last = (int(y) if isinstance(y, str) else this_year + y for y in years)
    start, end = date(first, 1, 1), date(last, 12, 1)
    with pytest.raises(ValidationError) as error:
        make_plan(planner, insurer, period=(start, end), lines=[])
    assert set(error.value.message_dict) == fields
    message = error.value.message_dict[sorted(fields)[0]][0]
    assert f"between {this_year - 5} and {this_year + 5}" in message


def test_five_years_either_way_is_a_plausible_period(planner, insurer) -> None:
    this_year = timezone.localdate().year
    for year in (this_year - 5, this_year + 5):
        make_plan(planner, insurer, period=(date(year, 1, 1), date(year, 12, 1)), lines=[])
    assert Plan.objects.count() == 2


def test_an_old_period_that_is_not_changed_is_not_checked_again(planner, insurer) -> None:
    """A plan stored when its period was plausible can still get its measures edited."""
    plan = make_plan(planner, insurer, lines=[])
    old_start = date(timezone.localdate().year - 8, 1, 1)
    Plan.objects.filter(pk=plan.pk).update(
        period_start=old_start, period_end=old_start.replace(month=12)
    )
    plan.refresh_from_db()

    plan_update(actor=actor(planner), plan=plan, measures={"staff": "Extra OK-team."})
    with pytest.raises(ValidationError) as error:
        plan_update(actor=actor(planner), plan=plan, period_end=old_start.replace(month=6))
    assert set(error.value.message_dict) == {"period_end"}


def test_periods_for_one_insurer_do_not_overlap(planner, insurer, other_insurer) -> None:
    make_plan(planner, insurer)
    with pytest.raises(ValidationError) as error:
        make_plan(planner, insurer, period=(date(2026, 7, 1), date(2027, 6, 1)), lines=[])
    assert "already covers" in error.value.message_dict["period_start"][0]
    # Another insurer, or the next year, is fine.
    make_plan(planner, other_insurer)
    make_plan(planner, insurer, period=(date(2027, 1, 1), date(2027, 12, 1)), lines=[])


def test_a_closed_plan_does_not_block_a_new_one(planner, contract_manager, insurer) -> None:
    closed_plan(planner, contract_manager, insurer)
    make_plan(planner, insurer, period=(date(2026, 10, 1), date(2027, 9, 1)), lines=[])


def test_every_line_error_is_named_and_nothing_is_stored(planner, insurer) -> None:
    lines = [
        line("0305", 4),
        line("9999", 4),
        line("0305", 2),
        line("0303", 3, backlog=-1),
        line("0303", 4, planned={"2027-01": 5}),
        line("0303", 5, planned={"2026-03": -2}),
        line("0305", 4),
    ]
    with pytest.raises(PlanLinesError) as error:
        make_plan(planner, insurer, lines=lines)

    messages = error.value.message_dict["lines"]
    assert [(e.index, e.field) for e in error.value.line_errors] == [
        (1, "specialism"),
        (2, "urgency_class"),
        (3, "backlog"),
        (4, "planned"),
        (5, "planned"),
        (6, None),
    ]
    assert "unknown specialism “9999”" in messages[0]
    assert "3, 4 or 5" in messages[1]
    assert "2027-01 is outside the period" in messages[3]
    assert "already planned in Line 1" in messages[5]
    assert not Plan.objects.exists()


def test_a_month_given_twice_is_refused(planner, insurer) -> None:
    twice = LineInput(
        specialism="0305",
        urgency_class=4,
        backlog=10,
        planned=((month("2026-01"), 5), (month("2026-01"), 6)),
    )
    with pytest.raises(PlanLinesError) as error:
        make_plan(planner, insurer, lines=[twice])
    assert "2026-01 is given twice" in error.value.message_dict["lines"][0]


# --- Editing ------------------------------------------------------------------------------------
def test_update_replaces_lines_and_measures_and_refreshes_the_forecast(planner, insurer) -> None:
    plan = make_plan(planner, insurer)

    plan = plan_update(
        actor=actor(planner),
        plan=plan,
        measures={"staff": "Extra OK-team op zaterdag."},
        lines=[line(backlog=150)],
    )

    plan.refresh_from_db()
    assert plan.staff == "Extra OK-team op zaterdag."
    assert plan.digital_care == "Beeldbellen voor controles."  # untouched
    assert plan.backlog_total == 150
    assert plan.on_track is False
    assert plan.projected_clearance_month == date(2027, 3, 1)


def test_a_shorter_period_must_still_hold_the_lines(planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    with pytest.raises(PlanLinesError) as error:
        plan_update(actor=actor(planner), plan=plan, period_end=date(2026, 6, 1))
    assert error.value.message_dict["lines"] == [
        "Line 1 (0305, class 4): 2026-07, 2026-08, 2026-09, 2026-10, 2026-11, 2026-12 are "
        "outside the period of the plan (2026-01 – 2026-06)."
    ]


def test_the_insurer_changes_only_while_a_draft(
    planner, contract_manager, insurer, other_insurer
) -> None:
    draft = make_plan(planner, insurer)
    plan_update(actor=actor(planner), plan=draft, insurer=other_insurer)
    draft.refresh_from_db()
    assert draft.insurer == other_insurer

    returned = changes_requested_plan(
        planner,
        contract_manager,
        insurer,
        period=(date(2027, 1, 1), date(2027, 12, 1)),
        lines=[line(planned={"2027-01": 10})],
    )
    with pytest.raises(ValidationError) as error:
        plan_update(actor=actor(planner), plan=returned, insurer=other_insurer)
    assert "received this plan already" in error.value.message_dict["insurer"][0]


@pytest.mark.parametrize("status", ["submitted", "approved", "closed"])
def test_only_drafts_and_changes_requested_are_edited(
    planner, contract_manager, insurer, status
) -> None:
    plan = {
        "submitted": lambda: submitted_plan(planner, insurer),
        "approved": lambda: approved_plan(planner, contract_manager, insurer),
        "closed": lambda: closed_plan(planner, contract_manager, insurer),
    }[status]()
    with pytest.raises(ApplicationError, match="Only a draft or a plan with changes requested"):
        plan_lines_replace(actor=actor(planner), plan=plan, lines=[line(backlog=1)])


def test_a_plan_with_changes_requested_is_edited(planner, contract_manager, insurer) -> None:
    plan = changes_requested_plan(planner, contract_manager, insurer)
    plan_lines_replace(actor=actor(planner), plan=plan, lines=[line(backlog=100)])
    assert plan.lines.get().backlog == 100


def test_another_providers_planner_cannot_edit(planner, insurer, other_provider_org) -> None:
    plan = make_plan(planner, insurer)
    stranger = member(Role.PLANNER, other_provider_org)
    with pytest.raises(PermissionDenied):
        plan_update(actor=actor(stranger), plan=plan, measures={"staff": "x"})


def test_a_contract_manager_cannot_edit_lines(planner, contract_manager, insurer) -> None:
    plan = changes_requested_plan(planner, contract_manager, insurer)
    with pytest.raises(PermissionDenied):
        plan_lines_replace(actor=actor(contract_manager), plan=plan, lines=[line()])


def test_measure_text_limits(planner, insurer) -> None:
    plan = make_plan(planner, insurer)
    with pytest.raises(ValidationError) as error:
        plan_update(actor=actor(planner), plan=plan, measures={"staff": "x" * 10_001, "bogus": "y"})
    assert set(error.value.message_dict) == {"staff", "measures"}


def test_only_a_never_submitted_draft_is_deleted(planner, contract_manager, insurer) -> None:
    draft = make_plan(planner, insurer)
    plan_delete(actor=actor(planner), plan=draft)
    assert not Plan.objects.exists()

    returned = changes_requested_plan(planner, contract_manager, insurer)
    with pytest.raises(ApplicationError):
        plan_delete(actor=actor(planner), plan=returned)


# --- Lifecycle ---------------------------------------------------------------------------------
def test_the_transition_map() -> None:
    assert {
        "submit": (frozenset({"draft", "changes_requested"}), "submitted"),
        "request_changes": (frozenset({"submitted"}), "changes_requested"),
        "approve": (frozenset({"submitted"}), "approved"),
        "close": (frozenset({"approved"}), "closed"),
    } == TRANSITIONS


def test_the_whole_lifecycle_with_versions(planner, contract_manager, insurer) -> None:
    plan = make_plan(planner, insurer)

    plan = plan_submit(actor=actor(planner), plan=plan, comment="Eerste versie.")
    assert (plan.status, plan.version) == ("submitted", 1)
    assert plan.submitted_at is not None

    plan = plan_request_changes(
        actor=actor(contract_manager), plan=plan, comment="Meer capaciteit in Q1."
    )
    assert plan.status == "changes_requested"

    plan_lines_replace(actor=actor(planner), plan=plan, lines=[line(backlog=130)])
    plan = plan_submit(actor=actor(planner), plan=plan)
    assert (plan.status, plan.version) == ("submitted", 2)

    plan = plan_approve(actor=actor(contract_manager), plan=plan)
    assert plan.status == "approved" and plan.decided_at is not None

    plan = plan_close(actor=actor(contract_manager), plan=plan, comment="Periode voorbij.")
    assert plan.status == "closed"

    steps = list(plan.transitions.values_list("from_status", "to_status", "version", "comment"))
    assert steps == [
        ("", "draft", 0, ""),
        ("draft", "submitted", 1, "Eerste versie."),
        ("submitted", "changes_requested", 1, "Meer capaciteit in Q1."),
        ("changes_requested", "submitted", 2, ""),
        ("submitted", "approved", 2, ""),
        ("approved", "closed", 2, "Periode voorbij."),
    ]
    assert [t.actor for t in plan.transitions.all()] == [
        planner,
        planner,
        contract_manager,
        planner,
        contract_manager,
        contract_manager,
    ]
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    assert [v.snapshot["lines"][0]["backlog"] for v in versions] == [120, 130]
    assert versions[0].snapshot["measures"]["digital_care"] == "Beeldbellen voor controles."
    assert versions[0].snapshot["period_start"] == "2026-01"


def test_a_version_is_immutable(planner, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    version = plan.versions.get()
    version.snapshot = {}
    with pytest.raises(PermissionError):
        version.save()


def test_submitting_needs_a_line(planner, insurer) -> None:
    plan = make_plan(planner, insurer, lines=[])
    with pytest.raises(ApplicationError, match="at least one line") as error:
        plan_submit(actor=actor(planner), plan=plan)
    assert error.value.field == "lines"


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("submitted", "submit", "Only a draft or a plan with changes requested can be submitted"),
        ("approved", "submit", "can be submitted; this plan is approved"),
        ("draft", "approve", "Only a submitted plan can be approved; this plan is draft"),
        ("approved", "approve", "Only a submitted plan can be approved"),
        ("changes_requested", "request_changes", "Only a submitted plan can be sent back"),
        ("submitted", "close", "Only an approved plan can be closed"),
        ("closed", "close", "Only an approved plan can be closed; this plan is closed"),
    ],
)
def test_illegal_transitions_are_refused(
    planner, contract_manager, insurer, status, action, message
) -> None:
    plan = {
        "draft": lambda: make_plan(planner, insurer),
        "submitted": lambda: submitted_plan(planner, insurer),
        "changes_requested": lambda: changes_requested_plan(planner, contract_manager, insurer),
        "approved": lambda: approved_plan(planner, contract_manager, insurer),
        "closed": lambda: closed_plan(planner, contract_manager, insurer),
    }[status]()
    call = {
        "submit": lambda: plan_submit(actor=actor(planner), plan=plan),
        "approve": lambda: plan_approve(actor=actor(contract_manager), plan=plan),
        "request_changes": lambda: plan_request_changes(
            actor=actor(contract_manager), plan=plan, comment="x"
        ),
        "close": lambda: plan_close(actor=actor(contract_manager), plan=plan),
    }[action]
    with pytest.raises(ApplicationError, match=message):
        call()
    plan.refresh_from_db()
    assert plan.status == status


def test_requesting_changes_needs_a_comment(planner, contract_manager, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    with pytest.raises(ValidationError) as error:
        plan_review(actor=actor(contract_manager), plan=plan, decision="request_changes")
    assert "comment" in error.value.message_dict
    with pytest.raises(ValidationError):
        plan_review(actor=actor(contract_manager), plan=plan, decision="maybe")


def test_only_the_addressed_insurers_contract_manager_reviews(
    planner, insurer, other_insurer
) -> None:
    plan = submitted_plan(planner, insurer)
    for user in (
        member(Role.CONTRACT_MANAGER, other_insurer),
        member(Role.MEDIATOR, insurer),
        planner,
    ):
        with pytest.raises(PermissionDenied):
            plan_approve(actor=actor(user), plan=plan)


def test_a_planner_cannot_close(planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    with pytest.raises(PermissionDenied):
        plan_close(actor=actor(planner), plan=plan)


# --- Progress -----------------------------------------------------------------------------------
def test_progress_updates_the_forecast(planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    for when, volume in (("2026-01", 8), ("2026-02", 8), ("2026-03", 10)):
        plan = report(planner, plan, when, {("0305", 4): volume})

    plan.refresh_from_db()
    assert plan.realised_total == 26
    assert plan.remaining_total == 94
    assert plan.last_reported_month == date(2026, 3, 1)
    assert plan.projected_clearance_month == date(2027, 2, 1)
    assert plan.on_track is False
    assert plan.behind is True
    line_ = plan.lines.get()
    assert (line_.realised_to_date, line_.remaining, line_.behind) == (26, 94, True)


def test_reporting_a_month_again_corrects_it(planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    report(planner, plan, "2026-01", {("0305", 4): 8})
    report(planner, plan, "2026-01", {("0305", 4): 12})

    assert list(PlanProgress.objects.values_list("realised", flat=True)) == [12]
    plan.refresh_from_db()
    assert plan.realised_total == 12


def test_progress_survives_replacing_the_lines(planner, contract_manager, insurer) -> None:
    plan = submitted_plan(planner, insurer)
    report(planner, plan, "2026-01", {("0305", 4): 10})
    plan = plan_request_changes(actor=actor(contract_manager), plan=plan, comment="Meer.")

    plan_lines_replace(actor=actor(planner), plan=plan, lines=[line(backlog=200)])

    plan.refresh_from_db()
    assert plan.realised_total == 10
    assert plan.remaining_total == 190


@pytest.mark.parametrize(
    ("when", "lines", "field", "message"),
    [
        ("2027-01", {("0305", 4): 1}, "month", "outside the period"),
        ("2026-12", {("0305", 4): 1}, "month", "has not begun yet"),
        ("2026-01", {("0303", 4): 1}, "lines", "no line for specialism 0303"),
        ("2026-01", {("0305", 4): -1}, "lines", "whole number from 0"),
        ("2026-01", {}, "lines", "at least one line"),
    ],
)
def test_progress_refusals(planner, contract_manager, insurer, when, lines, field, message):
    plan = approved_plan(planner, contract_manager, insurer)
    with pytest.raises(ValidationError) as error:
        plan_progress_report(
            actor=actor(planner),
            plan=plan,
            month=month(when),
            lines=[
                ProgressLineInput(specialism=code, urgency_class=cls, realised=volume)
                for (code, cls), volume in lines.items()
            ],
            today=date(2026, 11, 23),
        )
    assert message in " ".join(error.value.message_dict[field])
    assert not PlanProgress.objects.exists()


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_progress_needs_a_plan_the_insurer_received_and_not_closed(
    planner, contract_manager, insurer, status
) -> None:
    plan = (
        make_plan(planner, insurer)
        if status == "draft"
        else closed_plan(planner, contract_manager, insurer)
    )
    with pytest.raises(ApplicationError, match="Progress is reported once"):
        report(planner, plan, "2026-01", {("0305", 4): 5})


def test_only_the_owner_reports_progress(planner, contract_manager, insurer) -> None:
    plan = approved_plan(planner, contract_manager, insurer)
    with pytest.raises(PermissionDenied):
        report(contract_manager, plan, "2026-01", {("0305", 4): 5})


def test_today_default_is_respected(planner, contract_manager, insurer) -> None:
    """Reports use the clock: a month of the period in the future is refused without ``today``
    (next year: a period far ahead is refused as implausible)."""
    next_year = timezone.localdate().year + 1
    plan = approved_plan(
        planner,
        contract_manager,
        insurer,
        period=(date(next_year, 1, 1), date(next_year, 12, 1)),
        lines=[line(planned={f"{next_year}-01": 10})],
    )
    with pytest.raises(ValidationError):
        plan_progress_report(
            actor=actor(planner),
            plan=plan,
            month=date(next_year, 1, 1),
            lines=[ProgressLineInput(specialism="0305", urgency_class=4, realised=1)],
        )
    assert TODAY.year == 2026
