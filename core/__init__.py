"""The ground floor (DESIGN §4): what every app needs and no app owns.

A plain package: no models, no app config, and it imports no app of this project — only Python,
Django, DRF and the Redis client. The floors above it: accounts ← providers ← plans, finance ←
mediation ← portal.
"""
