"""Staff pages of the exemplary-site campaign, mounted at ``/staff/campaigns/`` (namespace ``campaigns``)."""

from django.urls import path

from . import views, views_applications, views_final

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("templates/<slug:family>/new/", views.template_new, name="template_new"),
    path("designations/", views_final.designations, name="designations"),
    path("designations/<int:pk>/review/", views_final.designation_review, name="designation_review"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/start/<int:station>/", views.start, name="start"),
    path("<int:pk>/review/", views_applications.queue, name="queue"),
    path("<int:pk>/audits/", views_final.assignments, name="assignments"),
    path("<int:pk>/audits/auto/", views_final.auto_assign, name="auto_assign"),
    path("<int:pk>/final/", views_final.final, name="final"),
    path("<int:pk>/final.xlsx", views_final.final_xlsx, name="final_xlsx"),
    path("<int:pk>/final/refresh/", views_final.refresh, name="refresh"),
    path("<int:pk>/final/decide/", views_final.decide, name="decide"),
    path("<int:pk>/publish/", views_final.publish, name="publish"),
    path("applications/<int:pk>/", views_applications.application, name="application"),
    path("applications/<int:pk>/evidence/", views_applications.evidence_add, name="evidence_add"),
    path("applications/<int:pk>/withdraw/", views_applications.withdraw, name="withdraw"),
    path("applications/<int:pk>/review/", views_applications.review, name="review"),
    path("applications/<int:pk>/assign/", views_final.assign, name="assign"),
    path("applications/<int:pk>/override/", views_final.override, name="override"),
    path("evidence/<int:pk>/", views_applications.evidence_file, name="evidence"),
    path("evidence/<int:pk>/remove/", views_applications.evidence_remove, name="evidence_remove"),
    path("assignments/<int:pk>/unassign/", views_final.unassign, name="unassign"),
]
