from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.utils.module_loading import autodiscover_modules

        from core import (
            health,
            links,  # noqa: F401  (registers its deploy check)
            metrics,
            observe,  # noqa: F401  (connects the request id and metrics to Celery's signals)
            workdays,
        )
        from core.models import CalendarDay, RetentionPolicy

        # Who moved a holiday is worth knowing: deadlines follow the calendar.
        auditlog.register(CalendarDay)
        # And who shortened or lengthened how long records are kept.
        auditlog.register(RetentionPolicy, exclude_fields=["updated_at"])
        health.register("calendar", workdays.health_check)
        metrics.register("queues", metrics.queue_depths)
        # Each app's kinds of record and how long they are kept (core.retention).
        autodiscover_modules("retention")
