from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstatesConfig(AppConfig):
    name = "estates"
    verbose_name = _("Property companies and estates (红色物业)")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from estates import models
        from estates.services import department_serving
        from tickets.routing import register_department_finder

        # Configuration and the community's scores: each change shows in its history.
        for model in (models.Company, models.Estate, models.StandardItem, models.Rating):
            auditlog.register(model)
        # Requests about an estate go to the company serving it (OwnerLevel.PROPERTY).
        register_department_finder(department_serving)
