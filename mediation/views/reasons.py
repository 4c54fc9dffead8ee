"""Matching reasons (``mediation.matching.Reason``: a stable code with parameters) as sentences in
the reader's language, and a match as the case page shows it: the candidate, its reasons and the
form that offers it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from mediation.forms import OfferMakeForm
from mediation.matching import Candidate, Reason


def _km(value: Any) -> str:
    try:
        return number_format(Decimal(str(value)), decimal_pos=1)
    except ArithmeticError:
        return str(value)


def _iso_date(value: Any) -> str:
    day = parse_date(str(value)) if value else None
    return date_format(day, "j F Y") if day else str(value)


def reason_text(reason: Reason) -> str:
    """One matching reason (``mediation.matching.Reason``) as a translated sentence."""
    p = dict(reason.params)
    code = reason.code
    if code == "days_gained":
        return _(
            "%(days)s days sooner: expected wait %(expected)s days instead of %(remaining)s days "
            "remaining."
        ) % {"days": p["days"], "expected": p["expected_days"], "remaining": p["remaining_days"]}
    if code == "days_gained_unknown":
        return _(
            "Days gained unknown: the patient has waited %(waited)s days, past the expected "
            "moment of care where they wait now (%(current)s days), and has no appointment date; "
            "the expected wait here is %(expected)s days. Record the patient's appointment date "
            "to know the gain."
        ) % {
            "waited": p["waited_days"],
            "current": p["current_wait_days"],
            "expected": p["expected_days"],
        }
    if code == "capacity_offer":
        return _(
            "Free capacity from %(date)s, in the week of %(week)s (%(slots)s slots left); the "
            "published wait is %(published)s days."
        ) % {
            "date": _iso_date(p.get("slot_date") or p["week_start"]),
            "week": _iso_date(p["week_start"]),
            "slots": p["remaining"],
            "published": p["published_days"],
        }
    if code == "published_wait":
        return _("Published wait: %(days)s days.") % {"days": p["days"]}
    if code == "within_norm":
        return _("Within the Treeknorm maximum of %(max)s days.") % {"max": p["norm_max_days"]}
    if code == "above_norm":
        return _("Above the Treeknorm maximum of %(max)s days.") % {"max": p["norm_max_days"]}
    if code == "norm_unknown":
        return _("No Treeknorm is known for this wait.")
    if code == "distance":
        return _("%(km)s km away (the patient travels up to %(max)s km).") % {
            "km": _km(p["km"]),
            "max": p["max_km"],
        }
    if code == "data_age":
        return _("Waiting time of %(date)s, %(days)s days old.") % {
            "date": _iso_date(p["reference_date"]),
            "days": p["days"],
        }
    if code == "contracted":
        return _("Contracted by the insurer this year.")
    if code == "not_contracted":
        return _("Not contracted by the insurer this year.")
    if code == "class3_window":
        return _(
            "Within the class-3 window: care expected %(days)s days after the patient started "
            "waiting (at most 42, until %(end)s)."
        ) % {"days": p["total_wait_days"], "end": _iso_date(p["window_end"])}
    if code == "outside_class3_window":
        return _(
            "Outside the class-3 window: care expected %(days)s days after the patient started "
            "waiting; class 3 is treated within 42 days (until %(end)s)."
        ) % {"days": p["total_wait_days"], "end": _iso_date(p["window_end"])}
    return reason.text  # a reason this page does not know yet: its English text


@dataclass(frozen=True)
class MatchRow:
    candidate: Candidate
    reasons: list[str]
    form: OfferMakeForm
