"""Matching (DESIGN §3.3, issue 4): worked examples of every rule of the pure module, then the
selector that loads one case's supply from the database.

The patient lives in Utrecht (PC4 3511: 52.0886, 5.1174); Amersfoort (3811) is 19.9 km away,
Amsterdam (1012) 35.1 km, Den Haag (2511) 54.7 km, Nijmegen (6511) 57.7 km.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta
from decimal import Decimal

import pytest

from mediation.matching import (
    Candidate,
    CapacitySlotOffer,
    Need,
    Supply,
    capacity_slot_date,
    distance_km,
    match,
    offer_rule_check,
    remaining_wait_days,
    rounded_km,
    usable_capacity_offer,
)

TODAY = date(2026, 11, 25)  # a Wednesday
MONDAY = date(2026, 11, 23)
UTRECHT = (52.0886, 5.1174)
AMERSFOORT = (52.1557, 5.3881)
AMSTERDAM = (52.3735, 4.8951)
DEN_HAAG = (52.078, 4.3175)
NIJMEGEN = (51.8462, 5.8626)
MAASTRICHT = (50.8503, 5.6882)


def make_need(**overrides) -> Need:
    values: dict = {
        "specialism_code": "0305",
        "treatment_code": None,
        "kind": "first_visit",
        "urgency_class": 4,
        "latitude": UTRECHT[0],
        "longitude": UTRECHT[1],
        "max_distance_km": 50.0,
        "hospital_setting_required": False,
        "current_location_id": 1,
        "insurer_id": 7,
        "remaining_wait_days": 60,
        "margin_days": 14,
        "today": TODAY,
        # Waiting 30 days where the published wait is 90: 60 days to go.
        "waiting_since": TODAY - timedelta(days=30),
        "current_wait_days": 90,
    }
    values.update(overrides)
    return Need(**values)


def make_supply(
    location_id: int = 2, *, at: tuple[float, float] = AMERSFOORT, **overrides
) -> Supply:
    values: dict = {
        "location_id": location_id,
        "location_code": f"{71_000_000 + location_id:08d}",
        "location_name": f"Locatie {location_id}",
        "city": "Amersfoort",
        "provider_agb_code": f"{61_000_000 + location_id:08d}",
        "provider_name": f"Ziekenhuis {location_id}",
        "provider_kind": "hospital",
        "latitude": at[0],
        "longitude": at[1],
        "accepted_urgency_classes": (1, 2, 3, 4, 5),
        "specialism_code": "0305",
        "treatment_code": None,
        "kind": "first_visit",
        "current_days": 20,
        "insufficient_observations": False,
        "reference_date": TODAY - timedelta(days=8),
        "stale": False,
        "norm_max_days": 28,
        "contracted": True,
        "capacity_offers": (),
    }
    values.update(overrides)
    return Supply(**values)


def only(candidates: list[Candidate]) -> Candidate:
    assert len(candidates) == 1, candidates
    return candidates[0]


# --- Remaining wait ------------------------------------------------------------------------------
class TestRemainingWait:
    def test_an_appointment_the_patient_already_has_counts_first(self):
        days = remaining_wait_days(
            today=TODAY,
            waiting_since=TODAY - timedelta(days=30),
            expected_date=TODAY + timedelta(days=75),
            current_wait_days=20,
            norm_max_days=28,
        )
        assert days == 75

    def test_else_waiting_since_plus_the_current_figure(self):
        # Waiting 30 days at a location with a current wait of 100 days: 70 days to go.
        days = remaining_wait_days(
            today=TODAY,
            waiting_since=TODAY - timedelta(days=30),
            expected_date=None,
            current_wait_days=100,
            norm_max_days=28,
        )
        assert days == 70

    def test_without_a_current_figure_the_treeknorm_maximum(self):
        days = remaining_wait_days(
            today=TODAY,
            waiting_since=TODAY - timedelta(days=10),
            expected_date=None,
            current_wait_days=None,
            norm_max_days=42,
        )
        assert days == 32

    def test_unknown_once_the_expected_moment_has_passed_never_zero(self):
        """DESIGN §3.3 (issue 13): overdue without a date is *unknown*, not a made-up 0."""
        assert (
            remaining_wait_days(
                today=TODAY,
                waiting_since=TODAY - timedelta(days=200),
                expected_date=None,
                current_wait_days=100,
                norm_max_days=28,
            )
            is None
        )
        assert (
            remaining_wait_days(
                today=TODAY,
                waiting_since=TODAY - timedelta(days=200),
                expected_date=TODAY - timedelta(days=3),
                current_wait_days=None,
                norm_max_days=28,
            )
            is None
        )

    def test_zero_on_the_day_itself(self):
        # The expected moment is today: it has not passed, nothing is left to wait.
        assert (
            remaining_wait_days(
                today=TODAY,
                waiting_since=TODAY - timedelta(days=100),
                expected_date=None,
                current_wait_days=100,
                norm_max_days=28,
            )
            == 0
        )
        assert (
            remaining_wait_days(
                today=TODAY,
                waiting_since=TODAY - timedelta(days=100),
                expected_date=None,
                current_wait_days=99,
                norm_max_days=28,
            )
            is None
        )

    def test_without_figure_or_norm_the_wait_ends_on_waiting_since(self):
        def days(since: date) -> int | None:
            return remaining_wait_days(
                today=TODAY,
                waiting_since=since,
                expected_date=None,
                current_wait_days=None,
                norm_max_days=None,
            )

        assert days(TODAY) == 0
        assert days(TODAY - timedelta(days=1)) is None


# --- Eligibility, rule by rule -------------------------------------------------------------------
class TestEligibility:
    def test_a_location_that_passes_every_rule_is_proposed(self):
        candidate = only(match(make_need(), [make_supply()]))
        assert candidate.location_id == 2
        assert candidate.expected_days == 20
        assert candidate.expected_date == TODAY + timedelta(days=20)
        assert candidate.days_gained == 40
        assert candidate.distance_km == Decimal("19.9")
        assert candidate.within_norm is True
        assert candidate.contracted is True
        assert candidate.data_age_days == 8
        assert candidate.capacity_offer_id is None

    @pytest.mark.parametrize(
        "overrides",
        [
            {"specialism_code": "0301"},
            {"kind": "diagnostics"},
            {"treatment_code": "cataract", "kind": "treatment"},
        ],
        ids=["other-specialism", "other-kind", "a-treatment"],
    )
    def test_only_the_needs_specialism_treatment_and_kind(self, overrides):
        assert match(make_need(), [make_supply(**overrides)]) == []

    def test_treatment_needs_the_same_treatment(self):
        need = make_need(kind="treatment", treatment_code="knee")
        same = make_supply(2, kind="treatment", treatment_code="knee", norm_max_days=42)
        other = make_supply(3, kind="treatment", treatment_code="hip", norm_max_days=42)
        assert [c.location_id for c in match(need, [same, other])] == [2]

    def test_the_current_location_is_excluded(self):
        assert match(make_need(current_location_id=2), [make_supply(2)]) == []
        assert len(match(make_need(current_location_id=None), [make_supply(2)])) == 1

    @pytest.mark.parametrize(
        "overrides",
        [
            {"stale": True},
            {"insufficient_observations": True, "current_days": None},
            {"current_days": None},
            {"reference_date": None, "stale": True},
        ],
        ids=["stale", "insufficient-observations", "no-number", "never-reported"],
    )
    def test_a_current_non_stale_figure_with_a_number_is_required(self, overrides):
        assert match(make_need(), [make_supply(**overrides)]) == []

    def test_a_capacity_offer_does_not_stand_in_for_a_stale_figure(self):
        offer = CapacitySlotOffer(id=5, week_start=MONDAY, remaining=3, urgency_classes=(3, 4, 5))
        assert match(make_need(), [make_supply(stale=True, capacity_offers=(offer,))]) == []

    def test_the_location_must_accept_the_urgency_class(self):
        scaled_down = make_supply(accepted_urgency_classes=(1, 2, 3))
        assert match(make_need(urgency_class=4), [scaled_down]) == []
        assert len(match(make_need(urgency_class=3), [scaled_down])) == 1

    @pytest.mark.parametrize(
        ("kind", "proposed"), [("zbc", False), ("hospital", True), ("umc", True)]
    )
    def test_hospital_setting_required_excludes_zbcs(self, kind, proposed):
        row = make_supply(provider_kind=kind)
        assert bool(match(make_need(hospital_setting_required=True), [row])) is proposed
        assert len(match(make_need(hospital_setting_required=False), [row])) == 1

    def test_within_the_patients_distance_exactly(self):
        exact = distance_km(*UTRECHT, *AMERSFOORT)  # 19.93… km, shown as 19.9
        assert match(make_need(max_distance_km=19.0), [make_supply()]) == []
        assert match(make_need(max_distance_km=exact - 1e-9), [make_supply()]) == []
        assert len(match(make_need(max_distance_km=exact), [make_supply()])) == 1
        assert len(match(make_need(max_distance_km=20.0), [make_supply()])) == 1

    def test_days_gained_must_reach_the_margin(self):
        # Remaining 60 days, margin 14: a wait of 46 days gains exactly 14 (kept), 47 gains 13.
        assert [c.days_gained for c in match(make_need(), [make_supply(current_days=46)])] == [14]
        assert match(make_need(), [make_supply(current_days=47)]) == []
        assert len(match(make_need(margin_days=30), [make_supply(current_days=30)])) == 1
        assert match(make_need(margin_days=31), [make_supply(current_days=30)]) == []

    def test_a_candidate_is_always_strictly_sooner_even_with_margin_zero(self):
        assert match(make_need(margin_days=0), [make_supply(current_days=60)]) == []
        assert [
            c.days_gained for c in match(make_need(margin_days=0), [make_supply(current_days=59)])
        ] == [1]

    def test_a_patient_with_no_remaining_wait_has_no_candidates(self):
        assert match(make_need(remaining_wait_days=0), [make_supply(current_days=0)]) == []

    def test_rows_are_not_repeated(self):
        with pytest.raises(ValueError, match="two figures"):
            match(make_need(), [make_supply(2), make_supply(2, current_days=10)])
        # The same location for another subject is simply not the need's.
        rows = [make_supply(2), make_supply(2, kind="diagnostics")]
        assert len(match(make_need(), rows)) == 1


# --- Unknown remaining wait (issue 13) -----------------------------------------------------------
def long_waiter(**overrides) -> Need:
    """The issue's patient: waiting since June without an appointment, at a location whose
    published wait is 57 days (a day-treatment, Treeknorm maximum 42 days)."""
    values: dict = {
        "kind": "treatment",
        "treatment_code": "knee",
        "waiting_since": date(2026, 6, 15),
        "remaining_wait_days": None,
        "current_wait_days": 57,
    }
    values.update(overrides)
    return make_need(**values)


def knee(location_id: int = 2, **overrides) -> Supply:
    values: dict = {"kind": "treatment", "treatment_code": "knee", "norm_max_days": 42}
    values.update(overrides)
    return make_supply(location_id, **values)


class TestUnknownRemainingWait:
    def test_the_long_waiter_of_the_issue_gets_the_32_day_location(self):
        candidate = only(match(long_waiter(), [knee(current_days=32)]))
        assert candidate.expected_days == 32
        assert candidate.days_gained is None
        assert candidate.within_norm is True
        # From 15 June to 27 December (today 25 November + 32 days).
        assert candidate.total_wait_days == (TODAY + timedelta(days=32) - date(2026, 6, 15)).days
        gain = candidate.reasons[0]
        assert gain.code == "days_gained_unknown"
        assert gain.params == {"waited_days": 163, "current_wait_days": 57, "expected_days": 32}
        assert candidate.text.splitlines()[0] == (
            "Days gained unknown: the patient has waited 163 days, past the expected moment of "
            "care where they wait now (57 days), and has no appointment date; the expected wait "
            "here is 32 days. Record the patient's appointment date to know the gain."
        )

    def test_within_the_treeknorm_maximum(self):
        assert [c.expected_days for c in match(long_waiter(), [knee(current_days=42)])] == [42]
        assert match(long_waiter(), [knee(current_days=43)]) == []
        # Without a known norm there is nothing to be within.
        assert match(long_waiter(), [knee(current_days=10, norm_max_days=None)]) == []

    def test_shorter_than_the_current_locations_published_wait(self):
        # The current location publishes 40 days (within the norm itself): 39 is sooner, 40 not.
        need = long_waiter(current_wait_days=40)
        assert [c.expected_days for c in match(need, [knee(current_days=39)])] == [39]
        assert match(need, [knee(current_days=40)]) == []
        assert match(long_waiter(current_wait_days=None), [knee(current_days=1)]) == []

    def test_the_margin_does_not_apply_when_the_gain_is_unknown(self):
        need = long_waiter(current_wait_days=40, margin_days=30)
        assert len(match(need, [knee(current_days=35)])) == 1

    def test_the_other_rules_still_apply(self):
        need = long_waiter()
        assert match(need, [knee(stale=True, current_days=10)]) == []
        assert match(need, [knee(accepted_urgency_classes=(1, 2, 3), current_days=10)]) == []
        assert match(need, [knee(at=NIJMEGEN, current_days=10)]) == []  # 57.7 km > 50

    def test_ranked_by_the_shortest_wait_within_the_contract_preference(self):
        rows = [
            knee(2, current_days=30, contracted=True),
            knee(3, current_days=10, contracted=False),
            knee(4, current_days=20, contracted=True),
            knee(5, current_days=20, contracted=True, at=AMSTERDAM),
        ]
        assert [c.location_id for c in match(long_waiter(), rows)] == [4, 5, 2, 3]

    def test_a_capacity_offer_counts_as_the_expected_wait(self):
        row = knee(current_days=50, capacity_offers=(offer(),))  # 50 > norm; next week is 5
        candidate = only(match(long_waiter(), [row]))
        assert (candidate.expected_days, candidate.capacity_offer_id) == (5, 5)


# --- Urgency class 3 (issue 13) ------------------------------------------------------------------
class TestClass3Window:
    """42 days from waiting_since (FMS framework); outside it a candidate is marked and last."""

    def class3(self, **overrides) -> Need:
        # Waiting since 10 days: the window ends in 32 days, on 27 December 2026.
        values: dict = {
            "urgency_class": 3,
            "waiting_since": TODAY - timedelta(days=10),
            "remaining_wait_days": 80,
        }
        values.update(overrides)
        return make_need(**values)

    def test_a_candidate_inside_the_window(self):
        candidate = only(match(self.class3(), [make_supply(current_days=32)]))
        assert candidate.outside_class3_window is False
        assert candidate.total_wait_days == 42
        assert candidate.reasons[-1].as_dict() == {
            "code": "class3_window",
            "total_wait_days": 42,
            "window_end": "2026-12-27",
        }

    def test_a_candidate_after_the_window_is_marked_and_still_shown(self):
        candidate = only(match(self.class3(), [make_supply(current_days=33, norm_max_days=42)]))
        assert candidate.outside_class3_window is True
        assert candidate.total_wait_days == 43
        assert candidate.reasons[-1].code == "outside_class3_window"
        assert "Outside the class-3 window" in candidate.text

    def test_outside_the_window_ranks_after_inside_whatever_else(self):
        rows = [
            make_supply(2, current_days=40, contracted=True),  # outside, contracted, gains 40
            make_supply(3, current_days=30, contracted=False),  # inside, not contracted
            make_supply(4, current_days=5, contracted=True, at=AMSTERDAM),  # inside
            make_supply(5, current_days=33, contracted=True),  # outside, gains more than 2
        ]
        ranked = match(self.class3(), rows)
        assert [c.location_id for c in ranked] == [4, 3, 5, 2]
        assert [c.outside_class3_window for c in ranked] == [False, False, True, True]

    def test_only_class_3_has_a_window(self):
        for urgency in (4, 5):
            candidate = only(
                match(self.class3(urgency_class=urgency), [make_supply(current_days=60)])
            )
            assert candidate.outside_class3_window is False
            assert {r.code for r in candidate.reasons}.isdisjoint(
                {"class3_window", "outside_class3_window"}
            )

    def test_the_class_3_long_waiter_is_outside_any_window(self):
        candidate = only(match(long_waiter(urgency_class=3), [knee(current_days=5)]))
        assert candidate.outside_class3_window is True
        assert candidate.days_gained is None


# --- Offer rules (issue 13) ----------------------------------------------------------------------
def check(**overrides):
    values: dict = {
        "today": TODAY,
        "waiting_since": TODAY - timedelta(days=30),
        "urgency_class": 4,
        "remaining_wait_days": 60,
        "current_wait_days": 90,
        "margin_days": 14,
        "max_distance_km": 50.0,
        "expected_days": 20,
        "distance": 19.9,
        "has_current_figure": True,
        "norm_max_days": 28,
    }
    values.update(overrides)
    return offer_rule_check(**values)


class TestOfferRules:
    def test_an_offer_within_every_rule(self):
        result = check()
        assert (result.longer_wait, result.broken, result.days_gained) == (False, (), 40)

    @pytest.mark.parametrize(("expected", "longer"), [(59, False), (60, True), (92, True)])
    def test_a_longer_or_equal_wait_is_refused(self, expected, longer):
        assert check(expected_days=expected).longer_wait is longer

    @pytest.mark.parametrize(("expected", "longer"), [(56, False), (57, True), (80, True)])
    def test_unknown_remaining_wait_compares_with_the_published_wait(self, expected, longer):
        result = check(remaining_wait_days=None, current_wait_days=57, expected_days=expected)
        assert result.longer_wait is longer
        assert result.days_gained is None

    def test_nothing_to_compare_with_is_refused(self):
        assert check(remaining_wait_days=None, current_wait_days=None).longer_wait is True

    def test_gain_below_the_margin(self):
        assert check(expected_days=47).broken == ("gain_below_margin",)  # gains 13
        assert check(expected_days=46).broken == ()  # gains 14

    def test_above_the_norm_only_matters_when_the_gain_is_unknown(self):
        assert check(expected_days=40).broken == ()
        unknown = {"remaining_wait_days": None, "current_wait_days": 57}
        assert check(expected_days=29, **unknown).broken == ("above_norm",)
        assert check(expected_days=28, **unknown).broken == ()
        assert check(expected_days=10, norm_max_days=None, **unknown).broken == ("above_norm",)

    def test_beyond_the_distance_unless_unknown(self):
        assert check(distance=50.01).broken == ("beyond_distance",)
        assert check(distance=50.0).broken == ()
        assert check(distance=None).broken == ()

    def test_no_current_figure(self):
        assert check(has_current_figure=False).broken == ("no_current_figure",)

    def test_outside_the_class3_window(self):
        # Waiting 30 days: 12 days left of the window.
        assert check(urgency_class=3, expected_days=12).broken == ()
        result = check(urgency_class=3, expected_days=13)
        assert result.broken == ("outside_class3_window",)
        assert result.outside_class3_window is True
        assert check(urgency_class=4, expected_days=13).broken == ()

    def test_every_broken_rule_is_listed_in_order(self):
        result = check(
            urgency_class=3,
            expected_days=50,
            distance=80.0,
            has_current_figure=False,
        )
        assert result.broken == (
            "gain_below_margin",
            "beyond_distance",
            "no_current_figure",
            "outside_class3_window",
        )


# --- Capacity offers -----------------------------------------------------------------------------
def offer(pk: int = 5, *, week_start: date = MONDAY + timedelta(weeks=1), **overrides):
    values: dict = {
        "id": pk,
        "week_start": week_start,
        "remaining": 2,
        "urgency_classes": (3, 4, 5),
    }
    values.update(overrides)
    return CapacitySlotOffer(**values)


class TestCapacityOffers:
    def test_a_sooner_offer_gives_the_expected_date(self):
        # Next week's Monday is 5 days away; the published wait is 20 days.
        candidate = only(match(make_need(), [make_supply(capacity_offers=(offer(),))]))
        assert candidate.expected_days == 5
        assert candidate.expected_date == MONDAY + timedelta(weeks=1)
        assert candidate.days_gained == 55
        assert candidate.capacity_offer_id == 5
        assert candidate.capacity_week_start == MONDAY + timedelta(weeks=1)

    def test_this_weeks_offer_means_from_today(self):
        candidate = only(
            match(make_need(), [make_supply(capacity_offers=(offer(week_start=MONDAY),))])
        )
        assert candidate.expected_days == 0
        assert candidate.expected_date == TODAY

    def test_an_offer_makes_a_slow_location_eligible(self):
        # Published 50 days gains only 10 (< 14); the offer next week gains 55.
        assert match(make_need(), [make_supply(current_days=50)]) == []
        candidate = only(
            match(make_need(), [make_supply(current_days=50, capacity_offers=(offer(),))])
        )
        assert candidate.days_gained == 55
        assert candidate.within_norm is True

    @pytest.mark.parametrize(
        "unusable",
        [
            offer(remaining=0),
            offer(urgency_classes=(1, 2, 3)),
            offer(week_start=MONDAY - timedelta(weeks=1)),
            offer(week_start=MONDAY + timedelta(weeks=4)),  # 26 days: later than the figure
        ],
        ids=["no-slots-left", "urgency-class", "week-over", "not-sooner"],
    )
    def test_offers_that_cannot_help_are_ignored(self, unusable):
        candidate = only(match(make_need(), [make_supply(capacity_offers=(unusable,))]))
        assert candidate.expected_days == 20
        assert candidate.capacity_offer_id is None

    def test_an_offer_on_the_same_day_as_the_figure_is_not_used(self):
        same = offer(week_start=TODAY + timedelta(days=20))  # not a Monday, but the rule is days
        candidate = only(match(make_need(), [make_supply(capacity_offers=(same,))]))
        assert candidate.capacity_offer_id is None

    def test_an_offer_lasts_until_the_last_working_day_of_its_week(self):
        friday, sunday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=6)
        this_week = (offer(week_start=MONDAY),)
        on_friday = only(match(make_need(today=friday), [make_supply(capacity_offers=this_week)]))
        assert (on_friday.capacity_offer_id, on_friday.expected_days) == (5, 0)
        # On the week's Sunday no working day is left: the published figure stands.
        on_sunday = only(match(make_need(today=sunday), [make_supply(capacity_offers=this_week)]))
        assert on_sunday.capacity_offer_id is None

    def test_the_slot_is_dated_on_the_first_working_day_not_the_monday(self):
        # Week of Easter Monday 6 April 2026: the slot is on Tuesday 7 April, 5 days from
        # Thursday 2 April, not on the Monday (4 days).
        thursday = date(2026, 4, 2)
        easter_week = (offer(week_start=date(2026, 4, 6)),)
        candidate = only(
            match(
                make_need(today=thursday),
                [make_supply(current_days=30, capacity_offers=easter_week)],
            )
        )
        assert candidate.expected_date == date(2026, 4, 7)
        assert candidate.expected_days == 5
        reason = next(r for r in candidate.reasons if r.code == "capacity_offer")
        assert reason.params["slot_date"] == "2026-04-07"
        assert reason.params["week_start"] == "2026-04-06"


class TestCapacitySlotDate:
    """DESIGN §3.3 (issue 13): the first Dutch working day of the week not before today."""

    @pytest.mark.parametrize(
        ("week_start", "today", "expected"),
        [
            # An ordinary week seen from the week before: its Monday.
            (date(2026, 11, 30), date(2026, 11, 25), date(2026, 11, 30)),
            # Today is Wednesday of the week: today, not the Monday behind us.
            (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 25)),
            # Today is Sunday (the day before the week): the Monday.
            (date(2026, 11, 30), date(2026, 11, 29), date(2026, 11, 30)),
            # Today is a Saturday inside the week: nothing is left of it.
            (date(2026, 11, 23), date(2026, 11, 28), None),
            # The week ends today (its Sunday): nothing is left.
            (date(2026, 11, 23), date(2026, 11, 29), None),
            # A week that is over.
            (date(2026, 11, 16), date(2026, 11, 25), None),
            # Easter Monday 6 April 2026: Tuesday.
            (date(2026, 4, 6), date(2026, 4, 1), date(2026, 4, 7)),
            # Whit Monday 25 May 2026: Tuesday.
            (date(2026, 5, 25), date(2026, 5, 20), date(2026, 5, 26)),
            # King's Day, Monday 27 April 2026: Tuesday.
            (date(2026, 4, 27), date(2026, 4, 24), date(2026, 4, 28)),
            # Christmas 2028: Monday 25 and Tuesday 26 December are both holidays.
            (date(2028, 12, 25), date(2028, 12, 20), date(2028, 12, 27)),
            # Christmas week 2026, seen on Christmas Day (Friday): nothing is left.
            (date(2026, 12, 21), date(2026, 12, 25), None),
            # Ascension Day, Thursday 14 May 2026, seen that day: Friday.
            (date(2026, 5, 11), date(2026, 5, 14), date(2026, 5, 15)),
        ],
    )
    def test_first_working_day_of_the_week_not_before_today(self, week_start, today, expected):
        assert capacity_slot_date(week_start, today=today) == expected

    def test_a_week_without_a_working_day_left_is_not_a_candidate_source(self):
        sunday = date(2026, 11, 29)
        found = usable_capacity_offer(
            [offer(week_start=date(2026, 11, 23))], urgency_class=4, today=sunday
        )
        assert found is None
        # The next week is: from its Monday, one day ahead.
        found = usable_capacity_offer(
            [offer(week_start=date(2026, 11, 30))], urgency_class=4, today=sunday
        )
        assert found is not None and found[1] == 1

    def test_the_earliest_usable_offer_wins_ties_by_lower_id(self):
        offers = (
            offer(9, week_start=MONDAY + timedelta(weeks=2)),
            offer(8, week_start=MONDAY + timedelta(weeks=1)),
            offer(7, week_start=MONDAY + timedelta(weeks=1)),
            offer(6, week_start=MONDAY + timedelta(weeks=1), remaining=0),
        )
        found = usable_capacity_offer(offers, urgency_class=4, today=TODAY)
        assert found is not None
        assert (found[0].id, found[1]) == (7, 5)
        assert usable_capacity_offer(offers, urgency_class=2, today=TODAY) is None


# --- Norm, data age, contract and the reasons ----------------------------------------------------
class TestExplanation:
    def test_within_norm_compares_the_expected_wait_with_the_norm_maximum(self):
        need = make_need(remaining_wait_days=120)
        assert only(match(need, [make_supply(current_days=28)])).within_norm is True
        assert only(match(need, [make_supply(current_days=29)])).within_norm is False
        unknown = only(match(need, [make_supply(norm_max_days=None)]))
        assert unknown.within_norm is False
        assert "norm_unknown" in [reason.code for reason in unknown.reasons]

    def test_every_candidate_explains_itself(self):
        row = make_supply(
            reference_date=TODAY - timedelta(days=15), contracted=False, capacity_offers=(offer(),)
        )
        candidate = only(match(make_need(), [row]))
        assert [reason.as_dict() for reason in candidate.reasons] == [
            {"code": "days_gained", "days": 55, "remaining_days": 60, "expected_days": 5},
            {
                "code": "capacity_offer",
                "capacity_offer_id": 5,
                "week_start": "2026-11-30",
                "slot_date": "2026-11-30",
                "remaining": 2,
                "published_days": 20,
            },
            {"code": "within_norm", "days": 5, "norm_max_days": 28},
            {"code": "distance", "km": "19.9", "max_km": "50"},
            {"code": "data_age", "days": 15, "reference_date": "2026-11-10"},
            {"code": "not_contracted"},
        ]
        assert candidate.text.splitlines() == [
            "55 days sooner: expected wait 5 days instead of 60 days remaining.",
            "Free capacity in the week of 2026-11-30 (2 slots left); the published wait is "
            "20 days.",
            "Expected wait 5 days is within the Treeknorm maximum of 28 days.",
            "19.9 km away (the patient travels up to 50 km).",
            "Figure of 2026-11-10, 15 days old.",
            "Not contracted by the insurer this year.",
        ]

    def test_a_published_wait_above_the_norm_says_so(self):
        candidate = only(match(make_need(remaining_wait_days=200), [make_supply(current_days=90)]))
        codes = {reason.code: reason.params for reason in candidate.reasons}
        assert codes["published_wait"] == {"days": 90}
        assert codes["above_norm"] == {"days": 90, "norm_max_days": 28}
        assert "contracted" in codes
        assert "Published wait 90 days." in candidate.text
        assert "Expected wait 90 days is above the Treeknorm maximum of 28 days." in candidate.text


# --- Ranking -------------------------------------------------------------------------------------
class TestRanking:
    def test_contracted_then_days_gained_then_distance_then_code(self):
        rows = [
            make_supply(2, at=AMERSFOORT, current_days=10, contracted=False),  # gains 50
            make_supply(3, at=AMSTERDAM, current_days=30, contracted=True),  # gains 30, 35.1 km
            make_supply(4, at=AMERSFOORT, current_days=30, contracted=True),  # gains 30, 19.9 km
            make_supply(5, at=AMSTERDAM, current_days=20, contracted=True),  # gains 40
            make_supply(6, at=AMERSFOORT, current_days=30, contracted=True),  # as 4, later code
            make_supply(7, at=AMERSFOORT, current_days=5, contracted=False),  # gains 55
        ]
        ranked = match(make_need(), rows)
        assert [c.location_id for c in ranked] == [5, 4, 6, 3, 7, 2]

    def test_distance_ties_use_the_distance_as_shown(self):
        # 1.2 km and a hair more are both shown as 1.2 km: the location code decides.
        near = (52.0905, 5.1341)
        rows = [
            make_supply(3, at=near),
            make_supply(2, at=(near[0], near[1] + 0.0001)),
        ]
        ranked = match(make_need(), rows)
        assert {c.distance_km for c in ranked} == {Decimal("1.2")}
        assert [c.location_id for c in ranked] == [2, 3]

    def test_the_order_of_the_supply_does_not_matter(self):
        rows = [
            make_supply(i, current_days=10 + i % 4, contracted=bool(i % 3)) for i in range(2, 12)
        ]
        assert match(make_need(), rows) == match(make_need(), list(reversed(rows)))


# --- Distance ------------------------------------------------------------------------------------
class TestDistance:
    # Worked out apart from the module: the chord between the two points as unit vectors in
    # three dimensions, turned into the arc on the mean Earth radius, 6371.0088 km (to the mm).
    @pytest.mark.parametrize(
        ("point", "km"),
        [
            (UTRECHT, 0.0),
            (AMERSFOORT, 19.930386),
            (AMSTERDAM, 35.111189),
            (DEN_HAAG, 54.670448),
            (NIJMEGEN, 57.730469),
            (MAASTRICHT, 143.255678),
        ],
    )
    def test_great_circle_distances_from_utrecht(self, point, km):
        assert distance_km(*UTRECHT, *point) == pytest.approx(km, abs=1e-6)
        assert distance_km(*point, *UTRECHT) == pytest.approx(km, abs=1e-6)

    def test_one_degree_of_latitude_is_the_radius_times_one_degree_in_radians(self):
        assert distance_km(52.0, 5.0, 53.0, 5.0) == pytest.approx(
            6371.0088 * math.pi / 180, abs=1e-9
        )

    def test_matching_measures_with_the_searchs_function(self):
        """One function for every distance in the product, so the search and matching agree to
        the last bit (providers/geography/greatcircle.py)."""
        from providers.geography.greatcircle import distance_km as search_distance_km

        assert distance_km is search_distance_km

    def test_shown_to_a_tenth_of_a_kilometre_halves_up(self):
        assert rounded_km(12.25) == Decimal("12.3")
        assert rounded_km(12.24999) == Decimal("12.2")
        assert rounded_km(0.0) == Decimal("0.0")


def test_the_pure_module_imports_no_django():
    import ast
    from pathlib import Path

    import mediation.matching as module
    from providers.geography import greatcircle

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    allowed = {"__future__", "math", "collections", "dataclasses", "datetime", "decimal"}
    # Our own imports: the great-circle geometry and the Dutch working days, themselves pure.
    assert imported <= allowed | {"providers", "core"}
    from core import working_days

    calendar = ast.parse(Path(working_days.__file__).read_text(encoding="utf-8"))
    assert {
        (node.module or "").split(".")[0]
        for node in ast.walk(calendar)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(calendar)
        if isinstance(node, ast.Import)
        for alias in node.names
    } <= allowed | {"functools", "holidays"}
    geometry = ast.parse(Path(greatcircle.__file__).read_text(encoding="utf-8"))
    assert {
        (node.module or "").split(".")[0]
        for node in ast.walk(geometry)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(geometry)
        if isinstance(node, ast.Import)
        for alias in node.names
    } <= allowed


def test_candidates_are_immutable():
    candidate = only(match(make_need(), [make_supply()]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        candidate.days_gained = 99  # type: ignore[misc]


# --- The selector: one case's supply from the database -------------------------------------------
@pytest.mark.django_db
class TestCaseMatches:
    """Against the reference data (PC4 points, Treeknormen) and factory-made providers."""

    @pytest.fixture
    def world(self):
        from django.utils import timezone

        from tests.finance.factories import ContractFactory
        from tests.mediation.factories import CaseFactory
        from tests.providers.factories import (
            LocationFactory,
            ProviderFactory,
            SpecialismFactory,
            WaitingTimeSeriesFactory,
        )

        today = timezone.localdate()
        specialism = SpecialismFactory()

        def place(name, point, *, kind="hospital", days=20, **location):
            provider = ProviderFactory(name=f"Aanbieder {name}", kind=kind)
            loc = LocationFactory(
                provider=provider,
                name=name,
                city=name,
                latitude=Decimal(str(point[0])),
                longitude=Decimal(str(point[1])),
                **location,
            )
            WaitingTimeSeriesFactory(location=loc, specialism=specialism, current_days=days)
            return loc

        current = place("Utrecht", UTRECHT, days=100)
        amersfoort = place("Amersfoort", AMERSFOORT, days=20)
        amsterdam = place("Amsterdam", AMSTERDAM, kind="zbc", days=10)
        # 57.7 km: inside the box around 50 km (a corner), beyond the distance itself.
        nijmegen = place("Nijmegen", NIJMEGEN, days=1)
        maastricht = place("Maastricht", MAASTRICHT, days=1)  # outside the box
        closed = place("Gesloten", UTRECHT, days=1, is_active=False)
        stale = place("Verouderd", AMERSFOORT, days=1)
        stale.series.update(current_reference_date=today - timedelta(days=29))
        # Waiting since 60 days at a location with a current wait of 100 days: 40 days to go.
        case = CaseFactory(
            specialism=specialism,
            current_location=current,
            postcode="3511AB",
            max_distance_km=50,
            waiting_since=today - timedelta(days=60),
            expected_date=None,
        )
        ContractFactory(insurer=case.insurer, provider=amersfoort.provider, year=today.year)
        ContractFactory(provider=amsterdam.provider, year=today.year)  # another insurer's
        ContractFactory(insurer=case.insurer, provider=amsterdam.provider, year=today.year - 1)
        return {
            "today": today,
            "case": case,
            "specialism": specialism,
            "current": current,
            "amersfoort": amersfoort,
            "amsterdam": amsterdam,
            "nijmegen": nijmegen,
            "maastricht": maastricht,
            "closed": closed,
            "stale": stale,
        }

    def test_ranked_matches_of_a_case(self, world):
        from mediation.selectors.matching import case_matches

        candidates = case_matches(case=world["case"], today=world["today"])
        # Amersfoort is contracted by the case's insurer this year (gains 20 days); the Amsterdam
        # ZBC gains 30 days but its contracts are another insurer's or last year's.
        assert [(c.location_code, c.days_gained, c.contracted) for c in candidates] == [
            (world["amersfoort"].code, 20, True),
            (world["amsterdam"].code, 30, False),
        ]
        first = candidates[0]
        assert first.location_id == world["amersfoort"].pk
        assert first.location_name == "Amersfoort"
        assert first.provider_name == "Aanbieder Amersfoort"
        assert first.provider_kind == "hospital"
        assert first.distance_km == Decimal("19.9")
        assert first.expected_days == 20
        assert first.within_norm is True  # first visit: Treeknorm maximum 28 days
        assert first.norm_max_days == 28
        assert first.data_age_days == 0

    def test_supply_holds_the_box_and_the_current_location(self, world):
        from mediation.selectors.matching import match_supply_for

        rows = match_supply_for(case=world["case"], today=world["today"])
        supply = {row.location_id: row for row in rows}
        # Maastricht lies outside the box, the closed location is inactive; Nijmegen is in a
        # corner of the box (the exact distance is the pure module's rule).
        assert set(supply) == {
            world["current"].pk,
            world["amersfoort"].pk,
            world["amsterdam"].pk,
            world["nijmegen"].pk,
            world["stale"].pk,
        }
        assert supply[world["stale"].pk].stale is True
        assert supply[world["amersfoort"].pk].contracted is True
        assert supply[world["amersfoort"].pk].accepted_urgency_classes == (1, 2, 3, 4, 5)
        assert supply[world["amsterdam"].pk].provider_kind == "zbc"

    def test_the_current_location_counts_even_far_away(self, world):
        from mediation.selectors.matching import case_remaining_wait_days, match_supply_for

        case = world["case"]
        case.current_location = world["maastricht"]  # a current wait of 1 day
        case.save()
        supply = {row.location_id for row in match_supply_for(case=case, today=world["today"])}
        assert world["maastricht"].pk in supply
        # Waiting 60 days where the published wait is 1 day: overdue without a date, unknown.
        assert case_remaining_wait_days(case=case, today=world["today"]) is None

    def test_the_insurers_margin_setting(self, world):
        from mediation.models import MediationSettings
        from mediation.selectors.matching import case_matches, match_need_for

        MediationSettings.objects.create(insurer=world["case"].insurer, match_margin_days=25)
        need = match_need_for(case=world["case"], today=world["today"])
        assert need is not None
        assert (need.margin_days, need.remaining_wait_days) == (25, 40)
        candidates = case_matches(case=world["case"], today=world["today"])
        assert [c.location_code for c in candidates] == [world["amsterdam"].code]

    def test_hospital_setting_and_distance_of_the_case(self, world):
        from mediation.selectors.matching import case_matches

        case = world["case"]
        case.hospital_setting_required = True
        case.save()
        assert [c.location_code for c in case_matches(case=case, today=world["today"])] == [
            world["amersfoort"].code
        ]
        case.hospital_setting_required = False
        case.max_distance_km = 20
        case.save()
        assert [c.location_code for c in case_matches(case=case, today=world["today"])] == [
            world["amersfoort"].code
        ]

    def test_the_urgency_class_the_location_accepts(self, world):
        from mediation.selectors.matching import case_matches

        world["amersfoort"].accepted_urgency_classes = [1, 2, 3]
        world["amersfoort"].save()
        assert [
            c.location_code for c in case_matches(case=world["case"], today=world["today"])
        ] == [world["amsterdam"].code]

    def test_remaining_wait(self, world):
        from mediation.selectors.matching import case_remaining_wait_days

        case, today = world["case"], world["today"]
        assert case_remaining_wait_days(case=case, today=today) == 40
        # A stale current figure is not used: the Treeknorm maximum (28 days) stands in.
        case.waiting_since = today - timedelta(days=10)
        case.save()
        assert case_remaining_wait_days(case=case, today=today) == 90
        world["current"].series.update(current_reference_date=today - timedelta(days=29))
        assert case_remaining_wait_days(case=case, today=today) == 18
        world["current"].series.update(
            current_reference_date=today, current_days=None, current_insufficient_observations=True
        )
        assert case_remaining_wait_days(case=case, today=today) == 18
        case.expected_date = today + timedelta(days=75)
        case.save()
        assert case_remaining_wait_days(case=case, today=today) == 75

    @pytest.mark.parametrize(
        ("figure", "expected_in", "remaining"),
        [
            ({}, None, 90),  # waiting since 10 days, current wait 100 days
            ({"current_reference_date": -29}, None, 70),  # stale: the norm (80 days)
            ({"current_days": None, "current_insufficient_observations": True}, None, 70),
            ({}, 75, 75),  # an appointment in 75 days
        ],
        ids=["fresh", "stale", "insufficient", "appointment"],
    )
    def test_matches_use_the_same_remaining_wait(self, world, figure, expected_in, remaining):
        from mediation.selectors.matching import case_matches, case_remaining_wait_days
        from providers.models import Norm

        today, case = world["today"], world["case"]
        Norm.objects.filter(kind="first_visit").update(max_days=80, target_days=21)
        case.waiting_since = today - timedelta(days=10)
        case.expected_date = None if expected_in is None else today + timedelta(days=expected_in)
        case.save()
        if "current_reference_date" in figure:
            figure = {"current_reference_date": today + timedelta(figure["current_reference_date"])}
        if figure:
            world["current"].series.update(**figure)
        assert case_remaining_wait_days(case=case, today=today) == remaining
        candidates = case_matches(case=case, today=today)
        assert candidates
        assert {c.days_gained + c.expected_days for c in candidates} == {remaining}

    def test_the_long_waiter_gets_candidates_with_unknown_gain(self, world):
        """The issue's repro: waiting since June without an appointment at a location whose
        published wait is 57 days; a 32-day location nearby must be proposed."""
        from mediation.selectors.matching import (
            case_matches,
            case_remaining_wait_days,
            match_need_for,
        )
        from providers.models import Norm

        today, case = world["today"], world["case"]
        Norm.objects.filter(kind="first_visit").update(max_days=42)
        world["current"].series.update(current_days=57)
        world["amersfoort"].series.update(current_days=32)
        case.waiting_since = today - timedelta(days=170)
        case.save()

        assert case_remaining_wait_days(case=case, today=today) is None
        need = match_need_for(case=case, today=today)
        assert need is not None
        assert (need.remaining_wait_days, need.current_wait_days) == (None, 57)
        candidates = case_matches(case=case, today=today)
        assert [(c.location_code, c.expected_days, c.days_gained) for c in candidates] == [
            (world["amersfoort"].code, 32, None),
            (world["amsterdam"].code, 10, None),
        ]
        assert candidates[0].total_wait_days == 170 + 32
        assert candidates[0].reasons[0].code == "days_gained_unknown"

        # A stale figure where the patient waits: the Treeknorm maximum (42) stands in.
        world["current"].series.update(current_reference_date=today - timedelta(days=29))
        stale = match_need_for(case=case, today=today)
        assert stale is not None and stale.current_wait_days == 42
        assert len(case_matches(case=case, today=today)) == 2

        # Once the mediator records the appointment date, the gain is known again.
        case.expected_date = today + timedelta(days=90)
        case.save()
        assert case_remaining_wait_days(case=case, today=today) == 90
        assert [c.days_gained for c in case_matches(case=case, today=today)] == [58, 80]

    def test_capacity_offers_of_the_subject_with_slots_left(self, world):
        from mediation.selectors.matching import case_matches, match_supply_for
        from providers.models import CapacityOffer

        today, amersfoort = world["today"], world["amersfoort"]
        monday = today - timedelta(days=today.weekday())

        def capacity(week_start, **values):
            return CapacityOffer.objects.create(
                location=amersfoort,
                specialism=world["specialism"],
                kind=values.pop("kind", "first_visit"),
                week_start=week_start,
                slots=values.pop("slots", 3),
                **values,
            )

        usable = capacity(monday + timedelta(weeks=1))
        capacity(monday + timedelta(weeks=1), slots=2, reserved_slots=2)  # full
        capacity(monday - timedelta(weeks=1))  # last week
        capacity(monday + timedelta(weeks=1), kind="diagnostics")  # another kind
        supply = {row.location_id: row for row in match_supply_for(case=world["case"], today=today)}
        assert [o.id for o in supply[amersfoort.pk].capacity_offers] == [usable.pk]
        assert supply[amersfoort.pk].capacity_offers[0].remaining == 3

        first = case_matches(case=world["case"], today=today)[0]
        assert first.capacity_offer_id == usable.pk
        assert first.expected_date == monday + timedelta(weeks=1)
        assert first.days_gained == 40 - (monday + timedelta(weeks=1) - today).days

    def test_a_treatment_case(self, world):
        from mediation.selectors.matching import case_matches, case_remaining_wait_days
        from tests.mediation.factories import CaseFactory
        from tests.providers.factories import TreatmentFactory, WaitingTimeSeriesFactory

        today = world["today"]
        knee = TreatmentFactory(specialism=world["specialism"], setting="inpatient")
        other = TreatmentFactory(specialism=world["specialism"], setting="inpatient")
        WaitingTimeSeriesFactory(location=world["amersfoort"], treatment=knee, current_days=20)
        WaitingTimeSeriesFactory(location=world["amsterdam"], treatment=other, current_days=1)
        case = CaseFactory(
            insurer=world["case"].insurer,
            specialism=world["specialism"],
            treatment=knee,
            kind="treatment",
            current_location=world["current"],  # no series for the knee: the norm applies
            postcode="3511AB",
            waiting_since=today - timedelta(days=9),
            expected_date=None,
        )
        # Inpatient treatment: Treeknorm maximum 49 days, so 40 days remain.
        assert case_remaining_wait_days(case=case, today=today) == 40
        [candidate] = case_matches(case=case, today=today)
        assert (candidate.location_code, candidate.days_gained, candidate.norm_max_days) == (
            world["amersfoort"].code,
            20,
            49,
        )

    def test_an_unknown_postcode_area_has_no_matches(self, world):
        from mediation.selectors.matching import case_matches, match_need_for, match_supply_for

        case = world["case"]
        case.postcode = "1000AA"  # well-formed, but PC4 1000 is not in the postcode table
        case.save()
        assert case_matches(case=case, today=world["today"]) == []
        assert match_supply_for(case=case, today=world["today"]) == []
        assert match_need_for(case=case, today=world["today"]) is None

    def test_a_fixed_number_of_queries_whatever_the_supply(self, world, django_assert_num_queries):
        from mediation.models import Case
        from mediation.selectors.matching import case_matches
        from tests.providers.factories import LocationFactory, WaitingTimeSeriesFactory

        def load():
            return Case.objects.select_related("insurer", "specialism", "treatment").get(
                pk=world["case"].pk
            )

        # Point, series (with norm and contract), capacity offers, the insurer's settings.
        case = load()
        with django_assert_num_queries(4):
            assert len(case_matches(case=case, today=world["today"])) == 2
        for _ in range(10):
            WaitingTimeSeriesFactory(
                location=LocationFactory(latitude=Decimal("52.1"), longitude=Decimal("5.2")),
                specialism=world["specialism"],
                current_days=5,
            )
        case = load()
        with django_assert_num_queries(4):
            assert len(case_matches(case=case, today=world["today"])) == 12


def test_a_candidate_carries_the_source_of_its_figure():
    """DESIGN §3.8: the case page marks candidates whose wait is the NZa's figure."""
    ranked = match(
        make_need(),
        [make_supply(2, source="nza"), make_supply(3, source="provider", current_days=21)],
    )
    assert {candidate.location_id: candidate.source for candidate in ranked} == {
        2: "nza",
        3: "provider",
    }
