from django.urls import path

from . import board_views, views

app_name = "performance"

urlpatterns = [
    path("", views.index, name="index"),
    path("deputies/<int:pk>/", views.record, name="record"),
    path("deputies/<int:pk>/record.xlsx", views.record_xlsx, name="record_xlsx"),
    path("deputies/<int:pk>/pdf/prepare/", views.record_pdf_prepare, name="record_pdf_prepare"),
    path("deputies/<int:pk>/pdf/status/", views.record_pdf_status, name="record_pdf_status"),
    path("deputies/<int:pk>/record.pdf", views.record_pdf, name="record_pdf"),
    path("declare/", views.declare, name="declare"),
    path("declared/", views.declared_list, name="declared"),
    path("declared/<int:pk>/decide/", views.decide, name="decide"),
    path("declared/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("rules/", board_views.rules, name="rules"),
    path("rules/edit/", board_views.rules_edit, name="rules_edit"),
    path("recompute/", board_views.recompute, name="recompute"),
    path("recompute/<int:pk>/", board_views.recompute_status, name="recompute_status"),
    path("rankings/", board_views.rankings, name="rankings"),
    path("rankings.xlsx", board_views.rankings_xlsx, name="rankings_xlsx"),
    path("posting/", board_views.posting, name="posting"),
]
