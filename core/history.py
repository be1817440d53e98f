"""The audit trail of one object, as rows a viewer of its page may read.

The audit log keeps raw values; personal ones (ID numbers, mobiles…) are masked here again
from the names a model declares in ``history_masked``, so that an entry written before a
field was declared sensitive never shows the full value. Models with dependants whose
changes belong to the page (a household's residents) list them in ``history_related()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import KeyedChoiceField
from core.personal import RevealReason, mask_id_number, mask_mobile

ACTIONS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
    LogEntry.Action.ACCESS: _("revealed"),
}


REASONS = dict(RevealReason.choices)


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    timestamp: datetime
    actor: str
    action: int
    action_label: str
    subject: str
    rows: list[FieldChange] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)
    # Why a full value was shown (a RevealReason's label) and whether the password was asked.
    reason: str = ""
    reauthenticated: bool = False
    # {"run": id, "file": name} when an import wrote it (core.audit).
    imported: dict | None = None

    @property
    def is_access(self) -> bool:
        return self.action == LogEntry.Action.ACCESS


def mask_value(name: str, value) -> str:
    """A personal value in a form that tells a change happened but not what it was."""
    if value in (None, "", "None"):
        return ""
    text = str(value)
    if "id_number" in name:
        return mask_id_number(text)
    if "phone" in name or "mobile" in name:
        return mask_mobile(text)
    return "****"


def _label(model, name: str) -> str:
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    # Reverse relations (a resident's care) have no verbose name of their own.
    verbose = getattr(found, "verbose_name", None) or found.related_model._meta.verbose_name_plural
    return str(verbose)


# What auditlog wrote for a reverse relation at creation ("grids.ResidentCare.None"): the
# related manager's repr, nothing a reader can use.
_EMPTY_MANAGER = re.compile(r"\w+\.\w+\.None")


def _show(name: str, value, masked: set[str]) -> str:
    if name in masked:
        return mask_value(name, value)
    if isinstance(value, dict):
        # Many-to-many changes are stored as {"type": "add", "objects": [...]}.
        objects = ", ".join(str(o) for o in value.get("objects", []))
        return f"{value.get('type', '')}: {objects}".strip(": ")
    if value in (None, "None") or _EMPTY_MANAGER.fullmatch(str(value)):
        return ""
    return str(value)


def _untokened(model, name: str, value):
    """A keyed choice's token (core.fields) as the choice's label."""
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    if isinstance(found, KeyedChoiceField) and isinstance(value, str):
        choice = found.tables()[0].get(value, value)
        return str(dict(found.flatchoices).get(choice, choice))
    # A reverse relation logged as its rows' tokens (a resident's care categories, written by
    # grids.services as "token, token").
    keyed = []
    if getattr(found, "auto_created", False) and getattr(found, "related_model", None):
        fields = found.related_model._meta.concrete_fields
        keyed = [f for f in fields if isinstance(f, KeyedChoiceField)]
    if len(keyed) == 1 and isinstance(value, str) and value:
        back, labels = keyed[0].tables()[0], dict(keyed[0].flatchoices)
        return ", ".join(
            str(labels.get(back.get(token, token), back.get(token, token)))
            for token in value.split(", ")
        )
    return value


def _rows(model, changes: dict, masked: set[str]) -> list[FieldChange]:
    rows = []
    for name, values in (changes or {}).items():
        if isinstance(values, list):
            values = [_untokened(model, name, value) for value in values]
        if isinstance(values, dict):
            old, new = "", _show(name, values, masked)
        else:
            old, new = [*list(values), None, None][:2]
            old, new = _show(name, old, masked), _show(name, new, masked)
        if old or new:
            rows.append(FieldChange(label=_label(model, name), old=old, new=new))
    return rows


def _scope(obj) -> Q:
    query = Q(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk))
    related = getattr(obj, "history_related", None)
    for queryset in related() if related else ():
        content_type = ContentType.objects.get_for_model(queryset.model)
        # A subquery keeps the page at one query however many dependants there are.
        query |= Q(content_type=content_type, object_id__in=queryset.values("pk"))
    return query


def history_for(obj, *, limit: int = 50) -> list[Change]:
    """The latest ``limit`` audit entries of ``obj`` (and its declared dependants), newest first.

    The caller has already checked the viewer may see ``obj``: the history shows nothing
    beyond what belongs to it.
    """
    entries = (
        LogEntry.objects.filter(_scope(obj))
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:limit]
    )
    result = []
    for entry in entries:
        model = entry.content_type.model_class()
        masked = set(getattr(model, "history_masked", ()))
        data = entry.additional_data or {}
        access = entry.action == LogEntry.Action.ACCESS
        revealed = data.get("revealed", []) if access else []
        reason = data.get("reason", "") if access else ""
        result.append(
            Change(
                timestamp=entry.timestamp,
                actor=str(entry.actor) if entry.actor else str(_("system")),
                action=entry.action,
                action_label=str(ACTIONS.get(entry.action, "")),
                subject=entry.object_repr
                if model is not type(obj) or str(entry.object_pk) != str(obj.pk)
                else "",
                rows=_rows(model, entry.changes_dict if entry.changes else {}, masked)
                if model
                else [],
                revealed=[_label(model, name) for name in revealed] if model else list(revealed),
                reason=str(REASONS.get(reason, reason)),
                reauthenticated=bool(data.get("reauthenticated")) if access else False,
                imported=data.get("imported"),
            )
        )
    return result
