"""红色物业 pages: an area's estates and companies, a company's page, the community's rating
form, the street's or district's red and black list (and its publish button), and the
published list for residents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_errors
from estates import services
from estates.forms import RatingForm
from estates.models import (
    Company,
    Estate,
    ListRow,
    PublishedList,
    Rating,
    StandardItem,
    period_bounds,
    period_of,
    previous_period,
)
from estates.policy import LIST_LEVELS, may_publish, may_rate
from grids.access import area_or_404, community_or_404
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS, Level
from tickets.models import Ticket

UNIT_LEVELS = (Level.GRID, *COMMUNITY_LEVELS, *LIST_LEVELS)
PAGE_SIZE = 25


def _periods() -> tuple[str, str]:
    current = period_of(timezone.localdate())
    return current, previous_period(current)


def _check_period(period: str) -> None:
    try:
        period_bounds(period)
    except ValueError:
        raise Http404 from None


@login_required
def area_estates(request, code: str):
    """The estates under an area and the companies serving them, with their latest stars."""
    area = area_or_404(request.user, code, levels=UNIT_LEVELS)
    # A grid's team sees the estates on its grid; the levels above, those of their communities.
    if area.level == Level.GRID:
        found = Estate.objects.filter(grids=area)
    else:
        found = Estate.objects.filter(community__path__startswith=area.path)
    # A district holds hundreds of estates and companies: each list is read a page at a time,
    # with its own page parameter so that paging one keeps the other where it was.
    estate_page = Paginator(
        found.select_related("community", "company")
        .prefetch_related(Prefetch("grids", queryset=Area.objects.order_by("path")))
        .order_by("community__path", "name", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    company_page = Paginator(
        Company.objects.filter(pk__in=found.values("company")).order_by("name", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("company_page"))
    shown = list(company_page.object_list)
    served: dict[int, list[Estate]] = {}
    for estate in (
        found.filter(company__in=shown)
        .select_related("community")
        .order_by("community__path", "name", "pk")
    ):
        served.setdefault(estate.company_id, []).append(estate)
    current, previous = _periods()
    ratings: dict[int, list[Rating]] = {}
    for rating in (
        Rating.objects.filter(
            company__in=shown,
            community__in=found.values("community"),
            period__in=(current, previous),
        )
        .select_related("community")
        .order_by("company_id", "-period", "community__path")
    ):
        ratings.setdefault(rating.company_id, []).append(rating)
    rows = [
        {
            "company": company,
            "estates": served.get(company.pk, []),
            "ratings": ratings.get(company.pk, []),
            "communities": sorted(
                {e.community for e in served.get(company.pk, [])}, key=lambda a: a.path
            ),
        }
        for company in shown
    ]
    keep_estates = request.GET.copy()
    keep_estates.pop("page", None)
    keep_companies = request.GET.copy()
    keep_companies.pop("company_page", None)
    return render(
        request,
        "estates/area.html",
        {
            "area": area,
            "estates": estate_page.object_list,
            "estate_page": estate_page,
            "keep_estates": keep_estates.urlencode(),
            "companies": rows,
            "company_page": company_page,
            "keep_companies": keep_companies.urlencode(),
            "current": current,
            "may_rate": may_rate(request.user, area),
            "may_list": area.level in LIST_LEVELS,
        },
    )


@login_required
def company_detail(request, pk: int):
    company = get_object_or_404(
        Company.objects.visible_to(request.user).select_related("branch", "department"), pk=pk
    )
    estates = list(
        Estate.objects.visible_to(request.user)
        .filter(company=company)
        .select_related("community")
        .prefetch_related("grids")
    )
    ratings = list(
        Rating.objects.visible_to(request.user)
        .filter(company=company)
        .select_related("community", "rated_by")
    )
    open_requests = 0
    if company.department_id:
        open_requests = Ticket.objects.open().filter(department_id=company.department_id).count()
    communities = {e.community for e in estates if may_rate(request.user, e.community)}
    return render(
        request,
        "estates/company.html",
        {
            "company": company,
            "estates": estates,
            "ratings": ratings,
            "open_requests": open_requests,
            "rate_in": sorted(communities, key=lambda a: a.path),
            "current": _periods()[0],
        },
    )


@login_required
def rate(request, code: str, pk: int, period: str):
    """The community's scores for one company and half-year: save as a draft, or submit."""
    _check_period(period)
    community = community_or_404(request.user, code)
    if not may_rate(request.user, community):
        raise PermissionDenied
    company = get_object_or_404(services.companies_of(community), pk=pk)
    rating = (
        Rating.objects.filter(company=company, community=community, period=period)
        .prefetch_related("scores")
        .first()
    )
    items = list(StandardItem.objects.filter(active=True))
    initial = {}
    if rating is not None:
        initial = {f"item_{s.item_id}": s.score for s in rating.scores.all()}
        initial["note"] = rating.note
    form = RatingForm(request.POST or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_rating(
                by=request.user,
                company=company,
                community=community,
                period=period,
                scores=form.scores(),
                note=form.cleaned_data["note"],
                submit=request.POST.get("action") == "submit",
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Rating saved."))
            return redirect("estates_company", pk=company.pk)
    return render(
        request,
        "estates/rate.html",
        {
            "community": community,
            "company": company,
            "period": period,
            "rating": rating,
            "form": form,
            "locked": rating is not None and rating.submitted,
        },
    )


def _published(area: Area) -> list[PublishedList]:
    return list(
        PublishedList.objects.filter(area=area)
        .select_related("published_by")
        .prefetch_related(Prefetch("rows", queryset=ListRow.objects.order_by("board", "rank")))[:4]
    )


def _boards(red, black) -> list[tuple[str, list, str]]:
    return [(ListRow.Board.RED, red, "danger"), (ListRow.Board.BLACK, black, "dark")]


def _split(published: PublishedList) -> dict:
    rows = list(published.rows.all())
    return {
        "list": published,
        "boards": _boards(
            [r for r in rows if r.board == ListRow.Board.RED],
            [r for r in rows if r.board == ListRow.Board.BLACK],
        ),
    }


@login_required
def area_lists(request, code: str):
    """A street's or the district's red and black list: the half-years' drafts (from the
    submitted ratings) until published, then the frozen list."""
    area = area_or_404(request.user, code, levels=LIST_LEVELS)
    published = _published(area)
    done = {p.period for p in published}
    drafts = []
    for period in _periods():
        if period in done:
            continue
        ratings = services.ranked(area, period)
        found = services.boards(ratings)
        drafts.append(
            {
                "period": period,
                "count": len(ratings),
                "boards": _boards(found[ListRow.Board.RED], found[ListRow.Board.BLACK]),
            }
        )
    return render(
        request,
        "estates/lists.html",
        {
            "area": area,
            "drafts": drafts,
            "published": [_split(p) for p in published],
            "may_publish": may_publish(request.user, area),
        },
    )


@require_POST
@login_required
def publish(request, code: str, period: str):
    _check_period(period)
    area = area_or_404(request.user, code, levels=LIST_LEVELS)
    if not may_publish(request.user, area):
        raise PermissionDenied
    try:
        services.publish_list(by=request.user, area=area, period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The red and black list is published."))
    return redirect("estates_lists", code=area.code)


def public_list(request, code: str):
    """The latest published red and black list of a street or the district, for residents."""
    area = get_object_or_404(Area, code=code, level__in=LIST_LEVELS)
    published = _published(area)[:1]
    return render(
        request,
        "estates/public.html",
        {"area": area, "latest": _split(published[0]) if published else None},
    )
