from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionsConfig(AppConfig):
    name = "lianxin.opinions"
    verbose_name = _("Opinions")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import DeadlineRule
        from .services import RULES

        # A changed deadline rule applies at once in this process (others re-read within a minute).
        post_save.connect(RULES.clear, sender=DeadlineRule, dispatch_uid="opinions.rules.save")
        post_delete.connect(RULES.clear, sender=DeadlineRule, dispatch_uid="opinions.rules.delete")

        # The filter bar's options follow a new or renamed site, unit, area or category at once here.
        from lianxin.regions.models import Region
        from lianxin.stations.models import Station
        from lianxin.units.models import HandlingUnit

        from .forms import FILTER_OPTIONS
        from .models import Category

        for model in (Station, HandlingUnit, Region, Category):
            name = model.__name__
            post_save.connect(FILTER_OPTIONS.clear, sender=model, dispatch_uid=f"opinions.filter_options.save.{name}")
            post_delete.connect(FILTER_OPTIONS.clear, sender=model, dispatch_uid=f"opinions.filter_options.delete.{name}")
