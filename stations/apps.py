from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Service stations")

    def ready(self) -> None:
        from auditlog.registry import auditlog

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
        auditlog.register(
            models.Station, m2m_fields={"services", "facilities"}, exclude_fields=["updated_at"]
        )
