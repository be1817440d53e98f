from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from grids.policy import TerritoryCapability
from visits.policy import VisitCapability


def _interval_changed(*, household_ids, **kwargs) -> None:
    from visits.services import refresh_due

    refresh_due(household_ids=household_ids)


def _household_visits(user, household):
    from visits.models import Visit

    latest = Visit.objects.filter(household=household).select_related("by")
    return latest.order_by("-visited_at")[:10]


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

        from grids.navigation import (
            AreaLink,
            HouseholdAction,
            HouseholdPanel,
            register_area_link,
            register_household_action,
            register_household_panel,
        )

        register_area_link(
            AreaLink(
                _("Visits (走访)"),
                "visit_report",
                capability=VisitCapability.SUPERVISE_VISITS,
                order=5,
            )
        )
        register_area_link(
            AreaLink(
                _("Places to patrol"),
                "area_places",
                capability=TerritoryCapability.VIEW_TERRITORY,
                order=6,
            )
        )
        register_household_action(
            HouseholdAction(_("Log a visit"), "visit_household", VisitCapability.LOG_VISITS)
        )
        # Listed after the other apps' panels, and "none yet" is worth saying here.
        register_household_panel(
            HouseholdPanel(
                _("Visits"),
                "visits/_household_visits.html",
                _household_visits,
                order=1000,
                show_empty=True,
            )
        )
