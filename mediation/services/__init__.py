"""Writes of the mediation app: cases, offers, SLA, retention (one service per transition)."""
