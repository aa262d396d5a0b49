from django.urls import path, register_converter

from . import transparency, views


class QrFormatConverter:
    regex = "svg|png"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(QrFormatConverter, "qrfmt")

app_name = "public"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("large-text/", views.toggle_large_text, name="toggle_large_text"),
    path("transparency/", transparency.transparency, name="transparency"),
    path("s/<str:code>/", views.site, name="site"),
    path("s/<str:code>/qr.<qrfmt:fmt>", views.site_qr, name="site_qr"),
    path("s/<str:code>/poster/", views.site_poster, name="site_poster"),
    path("d/<str:public_code>/", views.deputy, name="deputy"),
    path("d/<str:public_code>/qr.<qrfmt:fmt>", views.deputy_qr, name="deputy_qr"),
    path("d/<str:public_code>/poster/", views.deputy_poster, name="deputy_poster"),
]
