from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Service stations")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from grids.navigation import AreaLink, register_area_link
        from grids.roles import Level
        from stations import models

        for model in (
            models.StationStaff,
            models.StationPhoto,
            models.Inspection,
            models.InspectionItem,
            models.Activity,
            models.MonthlyServed,
            models.ServiceType,
            models.Facility,
        ):
            auditlog.register(model)
        # Through tables of the catalogue choices are logged as changes of the station.
        auditlog.register(models.Station, m2m_fields={"services", "facilities"})

        # Stations serve grids and communities: nothing to list below a grid.
        above_micro = frozenset(level for level in Level.values if level != Level.MICRO_GRID)
        register_area_link(
            AreaLink(_("Service stations"), "station_list", levels=above_micro, order=20)
        )
        register_area_link(
            AreaLink(_("Station coverage"), "station_coverage", levels=above_micro, order=22)
        )
