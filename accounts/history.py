"""The user recorded in django-simple-history rows.

Requests authenticated by an API key carry a principal that is not a ``User``; their changes are
recorded without a user (the audit trail names the key).
"""

from typing import Any

from django.contrib.auth import get_user_model


def history_user(instance: Any, request: Any = None, **kwargs: Any) -> Any:
    user = getattr(request, "user", None)
    return user if isinstance(user, get_user_model()) and user.is_authenticated else None
