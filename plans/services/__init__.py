"""Writes of the plans app (DESIGN §3.4; issue 5): create and edit a plan, its lifecycle,
progress.

Rules kept here, for the API, the web UI and the Excel upload alike:

* A plan belongs to the provider of the planner (or provider API key) that creates it and is
  addressed to an existing insurer. Only that provider's planners write it; only the contract
  managers of the addressed insurer review and close it (callers find plans through
  ``plans.permissions``, so others get 404 before they get here).
* The period is whole months, the last not before the first, at most
  ``MAX_PERIOD_MONTHS`` months. A provider has one plan per insurer for any month: periods of
  its plans for the same insurer do not overlap (closed plans aside).
* Lines: one per specialism × urgency class (3, 4 or 5: classes 1 and 2 are acute care); a known
  specialism; a whole, non-negative backlog and planned volumes; planned months inside the
  period. All lines are checked at once and every problem is named; nothing is stored on error.
* Lifecycle ``draft → submitted → (changes_requested → submitted)* → approved → closed``, one
  service per transition, checked against ``TRANSITIONS``; anything else raises
  ``ApplicationError`` (400). Only drafts and plans with changes requested are edited; the
  insurer of a plan changes only while it is a draft. A submission needs at least one line and
  stores an immutable snapshot as a new version. Requesting changes needs a comment.
* Progress (realised volume per line and month) is reported for plans the insurer has received
  and not closed, for months of the period that have begun; reporting a month again corrects it.
* After every change of lines, period or progress the forecast (``plans.forecast``) is stored on
  the plan and its lines. Every change is recorded in the audit trail; every transition as a
  :class:`~plans.models.PlanTransition` (who, when, comment).

The modules, by job:

* ``plans.services.lines`` — checking lines (``lines_clean``) and the errors that name them;
* ``plans.services.lifecycle`` — who may act on a plan in which status, and the transitions
  (``plan_submit``, ``plan_approve``, ``plan_request_changes``, ``plan_review``, ``plan_close``);
* ``plans.services.editing`` — ``plan_create``, ``plan_update``, ``plan_lines_replace``,
  ``plan_lines_import`` (the Excel upload) and ``plan_delete``;
* ``plans.services.progress`` — ``plan_progress_report`` and the stored forecast
  (``forecast_apply``, ``plan_forecast_refresh``).
"""
