"""Planners' waiting-time reporting: checking, storing and importing figures (API, CSV upload, web
grid), their series and history, and the rules of norms and staleness (DESIGN §3.1)."""
