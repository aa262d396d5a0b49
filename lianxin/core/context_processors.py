from typing import Any

from django.http import HttpRequest


def lianxin(request: HttpRequest) -> dict[str, Any]:
    return {
        # Elderly-friendly mode (适老化): larger text on the public side, kept in a cookie.
        "large_text": request.COOKIES.get("lx_large") == "1",
    }
