"""API authentication: ``Authorization: Api-Key <key>`` and staff sessions with CSRF.

An invalid or revoked key is answered 401 on every endpoint, public ones included: a caller that
presents credentials must present good ones.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiKey, Organisation
from accounts.services import api_key_authenticate

KEYWORD = "Api-Key"


class ApiKeyPrincipal:
    """``request.user`` for a request made with an API key: authenticated, acting for an
    organisation, never a staff ``User``."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key
        self.organisation: Organisation = api_key.organisation

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    def get_username(self) -> str:
        return str(self)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, raw_key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        raw_key = raw_key.strip()
        if not raw_key or " " in raw_key:
            raise exceptions.AuthenticationFailed(_("Malformed Api-Key header."))
        api_key = api_key_authenticate(raw_key=raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The staff web session; unsafe methods need the CSRF token (DRF's default behaviour)."""
