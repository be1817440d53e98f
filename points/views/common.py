"""What the points pages share: reaching an item, the period asked for, a refusal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone

from points import periods
from points.models import Declaration

ITEMS = ("rule", "account__member__branch", "account__resident", "account__user", "station")


def item_or_404(request, pk: int) -> Declaration:
    return get_object_or_404(
        Declaration.objects.visible_to(request.user).select_related(
            *ITEMS, "account__community", "account__scheme", "batch__branch"
        ),
        pk=pk,
    )


def period_asked(request) -> periods.Period:
    return periods.parse(request.GET.get("period")) or periods.containing(
        timezone.localdate(), "year"
    )


def refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)
