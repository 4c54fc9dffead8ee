"""Finance endpoints (contracts, arrangements) arrive with the financial continuity issue."""

urlpatterns: list = []
