"""Staff pages: only for staff members whose session passed the TOTP step."""

from __future__ import annotations

from django.shortcuts import render

from yiwang.core.page_auth import staff_verified_required

from ..selectors import list_staff_directory

__all__ = ["directory", "staff_verified_required"]


@staff_verified_required
def directory(request):
    return render(
        request,
        "identity/staff_directory.html",
        {"assignments": list_staff_directory(actor=request.user)[:500]},
    )
