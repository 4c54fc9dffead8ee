"""Template context every page needs: the actor (for role-based navigation) and the demo flag."""

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest

from accounts.actors import actor_from_request
from accounts.selectors import demo_data_present

DEMO_FLAG_CACHE_SECONDS = 60


def navigation(request: HttpRequest) -> dict[str, Any]:
    demo = cache.get("demo_data_present")
    if demo is None:
        demo = demo_data_present()
        cache.set("demo_data_present", demo, DEMO_FLAG_CACHE_SECONDS)
    return {"actor": actor_from_request(request), "demo_mode": demo}
