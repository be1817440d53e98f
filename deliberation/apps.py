from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Deliberation (议事协商) and 实事 projects")

    def ready(self) -> None:
        from deliberation import notices
        from notifications import texts

        texts.register(notices.KINDS, notices.describe)
