"""Template context every page needs: the actor (for role-based navigation), the demo flag and
a signed-in user's count of unread notifications."""

from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.actors import actor_from_request
from accounts.selectors import demo_data_present, notification_unread_count

DEMO_FLAG_CACHE_SECONDS = 60


def navigation(request: HttpRequest) -> dict[str, Any]:
    demo = cache.get("demo_data_present")
    if demo is None:
        demo = demo_data_present()
        cache.set("demo_data_present", demo, DEMO_FLAG_CACHE_SECONDS)
    actor = actor_from_request(request)
    user = actor.user
    # Lazy: the COUNT runs only where a page shows it (the staff navigation bar).
    unread = SimpleLazyObject(
        lambda: notification_unread_count(user=user) if user is not None else 0
    )
    return {"actor": actor, "demo_mode": demo, "unread_notifications": unread}
