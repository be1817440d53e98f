"""A mediation visit logged from the visits app's own form counts as the follow-up of the
household's closed cases awaiting one (visits knows nothing of mediation: it is told here)."""

from __future__ import annotations

from mediation.models import Case, Status


def visit_saved(sender, instance, created: bool, **kwargs) -> None:
    from visits.models import VisitKind

    if not created or instance.kind != VisitKind.MEDIATION or instance.household_id is None:
        return
    Case.objects.filter(
        household_id=instance.household_id,
        status=Status.CLOSED,
        followed_up_at__isnull=True,
        closed_at__lte=instance.visited_at,
    ).update(
        followed_up_at=instance.visited_at,
        follow_up_visit=instance,
        follow_up_notes=(instance.findings or "")[:2000],
    )
