from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Territory and people")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate

        from grids.groups import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)

        from grids.models import Area, Household, Post, Resident, ResidentCare, VisitPlan

        auditlog.register(Area, exclude_fields=["numchild"])
        auditlog.register(Household)
        # The audit trail must not become a second copy of the sensitive values.
        auditlog.register(Resident, mask_fields=["id_number", "phone"])
        auditlog.register(ResidentCare)
        auditlog.register(Post)
        auditlog.register(VisitPlan)

        from grids.navigation import AreaLink, register_area_link
        from grids.roles import Capability

        register_area_link(
            AreaLink(
                _("Visits (走访)"),
                "visit_report",
                capability=Capability.SUPERVISE_VISITS,
                order=5,
            )
        )
        register_area_link(
            AreaLink(
                _("Places to patrol"),
                "area_places",
                capability=Capability.VIEW_TERRITORY,
                order=6,
            )
        )
