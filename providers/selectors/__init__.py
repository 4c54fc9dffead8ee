"""Reads of the providers app, one module per subject (reference data, current waits, reports)."""
