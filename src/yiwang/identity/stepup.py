"""`require_assurance(level)`: send a user below a service's assurance level to step up, then back."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse


def step_up_url(*, level: int, next_url: str) -> str:
    """The step-up page for ``level``, returning to ``next_url`` when done."""
    return f"{reverse('identity:step_up')}?{urlencode({'level': level, 'next': next_url})}"


def require_assurance(level: int):
    """View decorator: log in first, then reach ``level`` (or higher) before the view runs."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.assurance_level < level:
                return redirect(step_up_url(level=level, next_url=request.get_full_path()))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def assurance_redirect(request, *, level: int):
    """The same check as a helper for views that learn the level only after loading an object."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.assurance_level < level:
        return redirect(step_up_url(level=level, next_url=request.get_full_path()))
    return None
