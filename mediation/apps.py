from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("Mediation of disputes (矛盾纠纷调解)")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from mediation import notices
        from mediation.models import Case, Party, Studio
        from notifications import texts

        auditlog.register(Case, exclude_fields=["version"])
        auditlog.register(Party, mask_fields=["phone"], exclude_fields=["phone_hash"])
        auditlog.register(Studio)
        texts.register(notices.KINDS, notices.describe)

        from django.db.models.signals import post_save

        from mediation.signals import visit_saved
        from visits.models import Visit

        post_save.connect(visit_saved, sender=Visit, dispatch_uid="mediation_follow_up_visit")
