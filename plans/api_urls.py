"""REST endpoints of the plans app (DESIGN §8)."""

urlpatterns: list = []
