from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _interval_changed(*, household_ids, **kwargs) -> None:
    from visits.services import refresh_due

    refresh_due(household_ids=household_ids)


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits (走访)")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from grids.signals import visit_interval_changed
        from visits.models import VisitPlan

        # Grids says when a household's interval may have changed; the due dates are kept here.
        visit_interval_changed.connect(_interval_changed, dispatch_uid="visits.interval_changed")

        auditlog.register(VisitPlan)
