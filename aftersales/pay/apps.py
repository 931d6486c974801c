from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayConfig(AppConfig):
    name = "aftersales.pay"
    label = "pay"
    verbose_name = _("Appraisal and pay")
    default_auto_field = "django.db.models.BigAutoField"
