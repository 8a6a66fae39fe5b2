"""Language selection: Chinese unless the visitor chose another language."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Use the language chosen with /i18n/setlang/ (its cookie), else zh-Hans.

    A browser's Accept-Language is not a choice: a government portal in China answers in Chinese
    until the visitor switches, rather than guessing from how the browser was installed.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            with contextlib.suppress(LookupError):
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # LocaleMiddleware's own also looks for a language prefix in the path (i18n_patterns, which the
        # platform does not use) on every response: only the headers it would set here.
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
