"""Web UI of the finance app (DESIGN §6), under /financien/, one module per audience.

* :mod:`finance.views.shared` — the pages both audiences see, each for its own organisation:
  the overview of a year and its CSV/Excel export, a contract, an arrangement. A contract
  manager gets the forms on them, a planner reads.
* :mod:`finance.views.insurer` — what only the insurer's contract managers do: the forms' posts
  (contracts, arrangements, production, claims, payments, status transitions).

``finance/urls.py`` imports the modules; nothing is re-exported here.
"""
