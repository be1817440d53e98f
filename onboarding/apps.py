from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = _("Data onboarding")

    def ready(self) -> None:
        from core import metrics
        from onboarding.metrics import collect

        # Import jobs by status on /metrics (core/metrics.py).
        metrics.register("imports", collect)
