"""The project's own middleware: Dutch first, and no stored copies of answers for someone who
identified themselves."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control

from mediation.apis import ACCESS_TOKEN_HEADER


class PrivateAnswersMiddleware:
    """``Cache-Control: no-store, private`` on every answer to a request that carries an
    identity: a signed-in staff session, ``Authorization`` (an organisation's API key) or a
    patient's ``X-Access-Token``. Such an answer depends on who asks and may show patient data
    (DESIGN §7), so neither a browser nor a proxy may keep a copy.

    Marked by who asks rather than page by page, so that a new page or endpoint with patient data
    is covered without anyone remembering it (it needs one of these identities to show anything).
    The patient's status pages, reached by their secret link, say ``never_cache`` themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            "Authorization" in request.headers
            or ACCESS_TOKEN_HEADER in request.headers
            or getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            patch_cache_control(response, no_store=True, private=True)
        return response


class DutchFirstLocaleMiddleware(LocaleMiddleware):
    """Dutch first: the interface is Dutch until the user picks another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language; this product is Dutch by
    default (DESIGN §6), so only an explicit choice (the language cookie) changes it."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionIdleRenewalMiddleware:
    """The staff session's idle timeout, renewed without a database write on every request.

    A session expires ``SESSION_COOKIE_AGE`` (the idle timeout) after it was last saved. Saving on
    every request (``SESSION_SAVE_EVERY_REQUEST``) would write the session's row on every staff
    page and API call; instead, a session is renewed (saved, which moves its expiry) when its last
    renewal is at least ``SESSION_RENEWAL_SECONDS`` old. A user who stops working is signed out
    between ``SESSION_COOKIE_AGE − SESSION_RENEWAL_SECONDS`` and ``SESSION_COOKIE_AGE`` after
    their last request.

    Sessions without data (anyone not signed in) are not touched: no query, no cookie. Placed
    after ``SessionMiddleware``, so that its answer phase runs first and the session middleware
    then saves what was marked."""

    KEY = "_renewed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        renewed_at = session.get(self.KEY)
        if not isinstance(renewed_at, int) or now - renewed_at >= settings.SESSION_RENEWAL_SECONDS:
            session[self.KEY] = now
        return response
