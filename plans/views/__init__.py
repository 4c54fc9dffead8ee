"""Web pages of Plannen Inhaalzorg (DESIGN §6), one module per audience.

* ``provider`` — planners: their plans, the plan form, the lines editor, the Excel template and
  upload, submission and monthly progress;
* ``insurer`` — contract managers: the inbox of submitted plans, the review page with what changed
  since the previous version, closing, and the portfolio with CSV export;
* ``regulator`` — an overview of statuses and aggregates;
* ``shared`` — what planners and contract managers both see: a plan with its forecast and
  burn-down chart, a submitted version, the export as a workbook;
* ``dispatch`` — ``plan_list``, the plans page that shows each role its own page.

The views only collect input and show results; ``plans.services`` holds every rule, and its
errors are shown next to the fields (and rows) they belong to.
"""
