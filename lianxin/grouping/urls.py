from django.urls import path

from . import views

app_name = "grouping"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/apply/", views.run_apply, name="apply"),
]
