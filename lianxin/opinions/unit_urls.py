"""Handling units' inbox, response templates, extension requests and deputy suggestions (under /staff/opinions/inbox/)."""

from django.urls import path

from . import unit_views as views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.case, name="inbox_case"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="inbox_acknowledge"),
    path("<int:pk>/reply/", views.reply, name="inbox_reply"),
    path("<int:pk>/extension/", views.request_extension, name="inbox_extension"),
    path("<int:pk>/return/", views.return_case, name="inbox_return"),
    path("bulk-reply/", views.bulk_reply, name="inbox_bulk_reply"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/status/", views.template_status, name="template_status"),
    path("extensions/", views.extension_list, name="extensions"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/new/", views.suggestion_create, name="suggestion_create"),
    path("suggestions/<int:pk>/", views.suggestion_detail, name="suggestion_detail"),
    path("suggestions/<int:pk>/answer/", views.suggestion_answer, name="suggestion_answer"),
    path("suggestions/<int:pk>/close/", views.suggestion_close, name="suggestion_close"),
]
