"""The project's own middleware: Dutch first, and no stored copies of answers for someone who
identified themselves."""

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
