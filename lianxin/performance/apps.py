from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "lianxin.performance"
    verbose_name = _("Duty records and performance assessment")
