from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST


def directory(request: HttpRequest) -> HttpResponse:
    return render(request, "public/directory.html", {})


@require_POST
def toggle_large_text(request: HttpRequest) -> HttpResponse:
    """Elderly-friendly mode (适老化): larger text and touch targets, remembered in a cookie."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if request.COOKIES.get("lx_large") == "1":
        response.delete_cookie("lx_large")
    else:
        response.set_cookie("lx_large", "1", max_age=365 * 24 * 3600, samesite="Lax")
    return response
