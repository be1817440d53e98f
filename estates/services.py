"""Writes of 红色物业: setting up a company (and the department that takes its requests),
the community's rating of a company for a half-year, and the frozen red and black list."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import (
    BLACK_LIST_STARS,
    RED_LIST_STARS,
    Company,
    Estate,
    ListRow,
    PublishedList,
    Rating,
    RatingScore,
    StandardItem,
    period_bounds,
)
from estates.policy import may_publish, may_rate
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS
from tickets.models import Department, Ticket

# --- Companies and routing ---------------------------------------------------------------------


@transaction.atomic
def set_up_company(*, company: Company, staff=()) -> Company:
    """Save a company with the department that takes its requests; ``staff`` are its members."""
    company.full_clean()
    if company.department_id is None:
        department = Department(
            code=f"property-{company.credit_code.lower()}"[:32],
            name_en=company.name,
            name_zh=company.name,
        )
        department.full_clean()
        department.save()
        company.department = department
    company.save()
    if staff:
        company.department.members.add(*staff)
    return company


def department_serving(*, area: Area, household=None):
    """The department of the one active company serving the estates on ``area``'s grid; None
    when none does, or when several companies share the grid (the grid then decides)."""
    if area is None or area.level in COMMUNITY_LEVELS:
        return None
    companies = set(
        Estate.objects.filter(
            grids=area, company__active=True, company__department__isnull=False
        ).values_list("company__department_id", flat=True)
    )
    if len(companies) != 1:
        return None
    return Department.objects.filter(pk=companies.pop(), active=True).first()


def property_tickets(first, last):
    """Requests taken by a property company's department, submitted in [first, last]."""
    from core.figures import period_bounds as bounds

    start, end = bounds(first, last)
    return Ticket.objects.filter(
        department__property_company__isnull=False, submitted_at__gte=start, submitted_at__lt=end
    )


# --- Ratings ------------------------------------------------------------------------------------


def satisfaction(*, company: Company, community: Area, period: str) -> tuple[Decimal | None, int]:
    """Residents' average rating (1–5) of the requests the company took in the community in
    the half-year, and how many were rated (one query)."""
    if company.department_id is None:
        return None, 0
    first, last = period_bounds(period)
    row = (
        property_tickets(first, last)
        .filter(
            department_id=company.department_id,
            area__path__startswith=community.path,
            rating__isnull=False,
        )
        .aggregate(avg=Avg("rating"), n=Count("pk"))
    )
    if not row["n"]:
        return None, 0
    return Decimal(row["avg"]).quantize(Decimal("0.01")), row["n"]


def companies_of(community: Area):
    return Company.objects.filter(estates__community=community).distinct()


@transaction.atomic
def record_rating(
    *,
    by,
    company: Company,
    community: Area,
    period: str,
    scores: Mapping[int, object],
    note: str = "",
    submit: bool = False,
) -> Rating:
    """The community scores each active item of the standard (0..its maximum) for a company
    serving its estates; ``submit`` closes the rating. A submitted rating is not changed."""
    if not may_rate(by, community):
        raise PermissionDenied
    try:
        period_bounds(period)
    except ValueError:
        raise ValidationError(_("Unknown half-year.")) from None
    if not companies_of(community).filter(pk=company.pk).exists():
        raise ValidationError(_("This company serves no estate of the community."))
    rating = (
        Rating.objects.select_for_update()
        .filter(company=company, community=community, period=period)
        .first()
    )
    if rating is not None and rating.submitted:
        raise ValidationError(_("This rating was submitted; it can no longer be changed."))
    items = list(StandardItem.objects.filter(active=True))
    errors, values = {}, {}
    for item in items:
        raw = scores.get(item.pk)
        try:
            value = Decimal(str(raw)) if raw not in (None, "") else None
        except InvalidOperation:
            value = None
        if value is None or not (0 <= value <= item.max_score):
            errors[f"item_{item.pk}"] = _("Score between 0 and %(max)s.") % {"max": item.max_score}
        else:
            values[item.pk] = value
    if errors:
        raise ValidationError(errors)
    if rating is None:
        rating = Rating(company=company, community=community, period=period, rated_by=by)
    rating.rated_by, rating.note, rating.updated_at = by, note, timezone.now()
    rating.items_score = sum(values.values(), Decimal(0))
    rating.items_max = sum(item.max_score for item in items)
    rating.satisfaction, rating.rated_requests = satisfaction(
        company=company, community=community, period=period
    )
    rating.compute_total()
    if submit:
        rating.state, rating.submitted_at = Rating.State.SUBMITTED, timezone.now()
    rating.full_clean(validate_constraints=False)
    rating.save()
    RatingScore.objects.filter(rating=rating).delete()
    RatingScore.objects.bulk_create(
        [RatingScore(rating=rating, item_id=pk, score=value) for pk, value in values.items()]
    )
    return rating


# --- The red and black list ----------------------------------------------------------------------


def ranked(area: Area, period: str) -> list[Rating]:
    """The submitted ratings under ``area`` for the half-year, best first (one query)."""
    return list(
        Rating.objects.filter(
            community__path__startswith=area.path, period=period, state=Rating.State.SUBMITTED
        )
        .select_related("company", "community")
        .order_by("-total", "company__name", "community__path")
    )


def boards(ratings: list[Rating]) -> dict[str, list[Rating]]:
    """Red list: four stars and more; black list: two stars and fewer, worst first."""
    return {
        ListRow.Board.RED: [r for r in ratings if r.stars >= RED_LIST_STARS],
        ListRow.Board.BLACK: [r for r in reversed(ratings) if r.stars <= BLACK_LIST_STARS],
    }


@transaction.atomic
def publish_list(*, by, area: Area, period: str) -> PublishedList:
    """Freeze the half-year's red and black list of ``area``: once; the rows are copies."""
    if not may_publish(by, area):
        raise PermissionDenied
    try:
        _first, last = period_bounds(period)
    except ValueError:
        raise ValidationError(_("Unknown half-year.")) from None
    if last >= timezone.localdate() and not period_ended_early(period):
        raise ValidationError(_("A half-year's list is published once the half-year is over."))
    # Lock the area's row: two publishers at once must not both pass the check below.
    Area.objects.select_for_update().filter(pk=area.pk).first()
    if PublishedList.objects.filter(area=area, period=period).exists():
        raise ValidationError(_("This half-year's list is already published."))
    published = PublishedList.objects.create(area=area, period=period, published_by=by)
    rows = []
    for board, ratings in boards(ranked(area, period)).items():
        rows += [
            ListRow(
                published=published,
                board=board,
                rank=rank,
                company=r.company,
                company_name=r.company.name,
                community=r.community,
                community_name=r.community.name,
                total=r.total,
                stars=r.stars,
            )
            for rank, r in enumerate(ratings, start=1)
        ]
    ListRow.objects.bulk_create(rows)
    return published


def period_ended_early(period: str) -> bool:
    """The last month of a half-year counts as over for publishing (lists go out in June
    and December, once the communities have rated)."""
    _first, last = period_bounds(period)
    today = timezone.localdate()
    return today.year == last.year and today.month == last.month
