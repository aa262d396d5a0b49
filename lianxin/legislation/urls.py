"""Staff URLs at /staff/legislation/: consultations on draft laws."""

from django.urls import path

from . import views

app_name = "legislation"

urlpatterns = [
    path("", views.object_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/phase/", views.phase, name="phase"),
    path("<int:pk>/articles/<int:article>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/moderation/", views.moderation, name="moderation"),
    path("<int:pk>/comments/", views.comments, name="comments"),
    path("<int:pk>/comments/<int:comment>/decide/", views.decide, name="decide"),
    path("<int:pk>/entry/", views.entry, name="entry"),
    path("<int:pk>/session/", views.session, name="session"),
    path("<int:pk>/summary/", views.summary, name="summary"),
    path("<int:pk>/summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("<int:pk>/summary-pdf/prepare/", views.summary_pdf_prepare, name="summary_pdf_prepare"),
    path("<int:pk>/summary-pdf/status/", views.summary_pdf_status, name="summary_pdf_status"),
]
