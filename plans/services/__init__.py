"""Writes of the plans app (``plans.services.plans``)."""
