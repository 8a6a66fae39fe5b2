"""Template context every portal page gets."""


def portal_context(request):
    return {"elder_mode": request.COOKIES.get("elder") == "1"}
