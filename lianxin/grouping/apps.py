from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupingConfig(AppConfig):
    name = "lianxin.grouping"
    verbose_name = _("Mixed grouping of deputies")
