from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _scope_changed(**kwargs) -> None:
    from grids.scope import scope_changed

    scope_changed()


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Territory and people")

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from grids.groups import ensure_groups

        # Each app's part of the permission table registers itself when its policy module is
        # imported; every installed app's is, before any request or task asks the table.
        autodiscover_modules("policy")
        # What each app holds about a person, for the subject-access printout (grids.privacy).
        autodiscover_modules("subject")
        from accounts.twofactor import require_when
        from grids.privacy import needs_second_factor

        require_when(needs_second_factor)
        post_migrate.connect(ensure_groups, dispatch_uid="grids.groups")

        from django.db.models.signals import post_delete, post_save

        # What a user may reach is their posts' areas: cached copies of it follow every
        # change (moves, which treebeard writes with raw updates, call scope_changed too).
        post_migrate.connect(_scope_changed, sender=self, dispatch_uid="grids.scope.migrate")

        from grids.models import (
            Area,
            Cover,
            ExportApproval,
            Household,
            Leave,
            Post,
            Resident,
            ResidentCare,
        )

        # Covers and leaves widen a colleague's reach while the leave holds (grids.cover).
        for model in (Area, Post, Cover, Leave):
            post_save.connect(
                _scope_changed, sender=model, dispatch_uid=f"grids.scope.save.{model.__name__}"
            )
            post_delete.connect(
                _scope_changed, sender=model, dispatch_uid=f"grids.scope.delete.{model.__name__}"
            )

        auditlog.register(Area, exclude_fields=["numchild"])
        auditlog.register(Cover, exclude_fields=["updated_at"])
        auditlog.register(Leave)
        auditlog.register(Household, exclude_fields=["updated_at"])
        # The audit trail must not become a second copy of the sensitive values.
        # The keyed hashes and last digits are derived from them (core.fields): no news.
        auditlog.register(
            Resident,
            mask_fields=["id_number", "phone"],
            exclude_fields=["updated_at", "id_number_hash", "phone_hash", "phone_last4"],
        )
        # A care category is personal too (kept as a keyed token at rest): its entries keep
        # the token, which the history page reads back (core.history).
        auditlog.register(
            ResidentCare, mask_fields=["category"], mask_callable="grids.models.care_token"
        )
        auditlog.register(Post)
        # Requests, decisions and downloads (the count) are kept in the audit log.
        auditlog.register(ExportApproval)
