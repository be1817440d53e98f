from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = _("Safety patrols (安全隐患排查)")

    def ready(self):
        from notifications import texts
        from safety import notices

        texts.register(notices.KINDS, notices.describe)
