"""Guards of HTML pages shared by every app's views (edges only: domain code never imports this)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden
from django.utils.translation import gettext as _


def staff_verified_required(view):
    """Log in as staff with the second factor (TOTP), or be refused."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff_member or not request.user.is_verified():
            return HttpResponseForbidden(_("仅限已通过动态口令验证的政府工作人员访问"))
        return view(request, *args, **kwargs)

    return wrapped
