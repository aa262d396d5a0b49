"""The on-site audit (mounted at /staff/audits/, namespace ``audits``)."""

from django.urls import path

from . import audit_views

urlpatterns = [
    path("", audit_views.index, name="index"),
    path("<int:pk>/", audit_views.detail, name="detail"),
    path("<int:pk>/photos/<int:photo_pk>/", audit_views.photo, name="photo"),
    path("<int:pk>/evidence/<int:evidence_pk>/", audit_views.evidence, name="evidence"),
]

# The award: certificates (PDF by a task) and the Excel list of a campaign's designations.
urlpatterns += [
    path("campaigns/<int:pk>/certificates/", audit_views.certificates, name="certificates"),
    path("campaigns/<int:pk>/certificates/prepare/", audit_views.certificate_prepare, name="certificate_prepare"),
    path("campaigns/<int:pk>/certificates/status/", audit_views.certificate_status, name="certificate_status"),
    path("campaigns/<int:pk>/certificates.pdf", audit_views.certificate_download, name="certificate_download"),
    path("campaigns/<int:pk>/designations.xlsx", audit_views.designations_xlsx, name="designations_xlsx"),
]
