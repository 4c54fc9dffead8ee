"""Reads of the plans app: one plan (``plans.selectors.plans``) and many (``.reports``).

``plan_region_summary`` is what the regional report (``portal.reports``) uses.
"""

from plans.selectors.reports import PlanRegionRow, plan_region_summary

__all__ = ["PlanRegionRow", "plan_region_summary"]
