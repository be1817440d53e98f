from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from points import models

        # The configuration kept on product pages (issue 20): each change shows on its page.
        # The ledger itself is append-only and is its own record.
        for model in (
            models.Scheme,
            models.Rule,
            models.Reward,
            models.StockChange,
            models.HonourList,
        ):
            auditlog.register(model)
