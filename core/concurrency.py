"""Optimistic locking: an edit based on a stale copy is refused, not silently applied.

Forms carry the ``version`` they were rendered with; the save is a single
conditional UPDATE, so two officers saving the same row at once cannot both win.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConcurrentEdit(Exception):
    message = _(
        "Someone else saved this record while you were editing it. "
        "Your changes were not saved: reload the page to see theirs, then edit again."
    )


class Versioned(models.Model):
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


def save_if_unchanged(instance: Versioned, expected_version: int | None, fields: list[str]) -> None:
    """Save ``fields`` only if the row still has ``expected_version``; bump the version.

    Call inside a transaction: the row lock makes a concurrent save wait, then fail
    the version check, instead of overwriting. A normal ``save()`` keeps the audit log.
    """
    if expected_version is None:
        expected_version = instance.version
    current = (
        type(instance)
        ._base_manager.select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    if current != expected_version:
        raise ConcurrentEdit()
    instance.version = expected_version + 1
    extra = ["version"] + [f.name for f in instance._meta.concrete_fields if f.name == "updated_at"]
    instance.save(update_fields=[*fields, *extra])
