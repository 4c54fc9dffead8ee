"""Writes of the mediation app: cases (with the first-contact due date), offers, the transition
map, retention (one service per transition). Dutch working days come from ``core.working_days``."""
