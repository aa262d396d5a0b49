from django.http import HttpRequest, HttpResponse

from lianxin.accounts.decorators import staff_required


@staff_required
def object_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
