"""Writes of the providers app, one module per subject (postcodes, waiting times, capacity)."""
