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
