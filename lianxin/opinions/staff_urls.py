"""The congress staff's case console (namespace ``opinions``, mounted at /staff/opinions/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.opinion_list, name="list"),
    path("new/", views.new, name="new"),
    path("bulk/", views.bulk, name="bulk"),
    path("due-preview/", views.due_preview, name="due_preview"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    *[
        path(f"<int:pk>/{name.replace('_', '-')}/", views.act, {"action": name}, name=name)
        for name in views.ACTION_FORMS
    ],
]
