from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lianxin.accounts.decorators import staff_required

from . import services


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/home.html", {"figures": services.scoped_figures(request.user)})


@staff_required
def coverage(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/coverage.html", {})
