from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "lianxin.api"
    verbose_name = _("Api")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from lianxin.opinions.models import Category
        from lianxin.stations.models import Station

        from .opinions_public import CATEGORIES, SITES

        # A site closed or a category switched off stops taking submissions at once in this process.
        for model, cache in ((Station, SITES), (Category, CATEGORIES)):
            post_save.connect(cache.clear, sender=model, dispatch_uid=f"api.keycache.save.{model.__name__}")
            post_delete.connect(cache.clear, sender=model, dispatch_uid=f"api.keycache.delete.{model.__name__}")
