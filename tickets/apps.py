from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from tickets.services import follow_up_choices, follow_up_visit
        from visits.services import register_follow_up

        register_follow_up(follow_up_visit, follow_up_choices)

        from auditlog.registry import auditlog

        from tickets.models import Category, Department, Matter

        # The catalogue decides deadlines: who changed a matter's limits must be on record.
        auditlog.register(Matter)
        # Its categories and departments too, for the history on the catalogue pages.
        auditlog.register(Category)
        auditlog.register(Department, exclude_fields=["members"])

        from notifications import texts
        from tickets import notices

        # What the deadline notices and the digest say: notifications know no tickets.
        texts.register(notices.KINDS, notices.describe)
