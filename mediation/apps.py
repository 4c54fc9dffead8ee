from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        # The waiting lists' tasks live in a sub-package that Celery's autodiscovery misses.
        from mediation.waiting_lists import tasks  # noqa: F401
