from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = _("Party branches")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from branches import models

        for model in (
            models.BranchGrid,
            models.PartyGroup,
            models.Registration,
            models.ServiceRecord,
            models.HouseholdLink,
            models.CoBuildingUnit,
            models.JointMeeting,
        ):
            auditlog.register(model)
        auditlog.register(models.Branch, exclude_fields=["updated_at"])
        auditlog.register(
            models.PartyMember, mask_fields=["phone"], exclude_fields=["updated_at", "phone_hash"]
        )
