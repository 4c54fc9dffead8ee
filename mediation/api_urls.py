"""REST endpoints of the mediation app (DESIGN §8)."""

urlpatterns: list = []
