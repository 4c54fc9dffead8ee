"""Mediation cases, matching, offers and assignment runs (DESIGN §3.3).

Filled by the mediation issue."""
