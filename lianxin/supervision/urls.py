"""Staff pages of thematic supervision, under /staff/supervision/."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.topic_list, name="list"),
    path("new/", views.topic_create, name="create"),
    path("mine/", views.mine, name="mine"),
    path("deputies.json", views.deputy_search, name="deputy_search"),
    path("<int:pk>/", views.topic_detail, name="detail"),
    path("<int:pk>/edit/", views.topic_edit, name="edit"),
    path("<int:pk>/visit/", views.visit_create, name="visit"),
    path("<int:pk>/recommend/", views.recommendation_create, name="recommend"),
    path("recommendations/<int:pk>/milestone/", views.milestone_create, name="milestone"),
]
