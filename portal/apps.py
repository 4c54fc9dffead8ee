from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """No models: the pages, reports and demo data that compose several apps (DESIGN §4)."""

    name = "portal"
    verbose_name = _("Portal")
