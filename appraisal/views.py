"""The worker's own scorecard, a card's page, an area's ranking for a month, publishing, the
talks with the lowest-ranked (末位约谈), the district's scheme."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from appraisal import services
from appraisal.forms import CorrectForm, SchemeItemForm, ScoreForm, TalkForm
from appraisal.ladder_services import grade_setter
from appraisal.ladder_views import grade_history
from appraisal.models import DEFINITIONS, Figure, SchemeItem, Scorecard, Talk, month_start
from appraisal.policy import (
    AppraisalCapability,
    may_decide_promotions,
    may_publish,
    may_read_talks,
    may_record_talk,
    may_set_scheme,
)
from core.exports import xlsx_response
from core.forms import NOT_SAVED, submit_form
from core.replica import reads_from_replica
from grids.access import area_or_404
from grids.models import Area
from grids.policy import TerritoryCapability
from grids.roles import COMMUNITY_LEVELS, Level
from grids.scope import can

# How many of the lowest are flagged for a talk (末位约谈).
LOWEST_FLAGGED = 3
RANKED_LEVELS = (*COMMUNITY_LEVELS, Level.STREET, Level.TOWN)


def _month(year: int, month: int) -> dt.date:
    try:
        return dt.date(year, month, 1)
    except ValueError:
        raise Http404 from None


# The figures that are a share of something, shown as a percentage.
SHARES = {Figure.VISITS_SHARE, Figure.ON_TIME_SHARE, Figure.CARE_ON_TIME}


def _shown(item: SchemeItem, value):
    if value is None or item.figure not in SHARES:
        return value
    return f"{float(value) * 100:.1f} %"


def _rows(card: Scorecard) -> list[dict]:
    """The card's items in the scheme's order, with names and definitions (one query)."""
    codes = {k: v for k, v in card.figures.items() if not k.startswith("_")}
    items = {i.pk: i for i in SchemeItem.objects.filter(pk__in=[v["item"] for v in codes.values()])}
    rows = []
    for row in codes.values():
        item = items.get(row["item"])
        if item is None:
            continue
        rows.append(
            {
                "item": item,
                "value": _shown(item, row["value"]),
                "score": row["score"],
                "note": row.get("note", ""),
                "definition": DEFINITIONS[item.figure],
            }
        )
    return sorted(rows, key=lambda r: r["item"].position)


def _talks(user, card: Scorecard) -> dict:
    """The month's talks with the card's worker: the officers over the area read them whole;
    the worker sees when they were held and what was agreed, not the officer's notes."""
    own = card.worker_id == user.pk
    if not own and not may_read_talks(user, card.grid):
        return {}
    talks = list(
        Talk.objects.filter(worker_id=card.worker_id, month=card.month).select_related("held_by")
    )
    return {"talks": talks, "talk_notes": not own}


def _card_context(card: Scorecard | None, user) -> dict:
    if card is None:
        return {"card": None}
    history = list(
        Scorecard.objects.filter(worker_id=card.worker_id, month=card.month)
        .exclude(pk=card.pk)
        .order_by("-version")
    )
    return {
        "card": card,
        "rows": _rows(card),
        "extra": {k[1:]: v for k, v in card.figures.items() if k.startswith("_")},
        "history": history,
        **_talks(user, card),
    }


@login_required
def my_card(request, year: int | None = None, month: int | None = None):
    """A worker's own card: the month asked for, else the latest."""
    cards = list(
        Scorecard.objects.current()
        .filter(worker=request.user)
        .select_related("grid")
        .order_by("-month")[:24]
    )
    if year is not None:
        wanted = _month(year, month)
        card = next((c for c in cards if c.month == wanted), None)
        if card is None:
            raise Http404
    else:
        card = cards[0] if cards else None
    return render(
        request,
        "appraisal/my_card.html",
        {
            "cards": cards,
            "mine": True,
            "holdings": grade_history(request.user),
            **_card_context(card, request.user),
        },
    )


@login_required
def card_detail(request, pk: int):
    """One card, for its worker or an officer over its area; older versions below."""
    card = get_object_or_404(
        Scorecard.objects.readable_by(request.user).select_related(
            "grid", "worker", "published_by"
        ),
        pk=pk,
    )
    context = _card_context(card, request.user)
    context["may_talk"] = (
        card.is_published
        and card.superseded_at is None
        and may_record_talk(request.user, card.grid)
    )
    # The worker, or an officer over the card's area: both may read the grade history.
    context["holdings"] = grade_history(card.worker)
    context["may_set_grade"] = grade_setter(request.user, card.worker) is not None
    manual = [row["item"] for row in context["rows"] if row["item"].is_manual]
    if card.superseded_at is None and manual:
        if not card.is_published and can(
            request.user, AppraisalCapability.SCORE_WORKERS, card.grid
        ):
            context["score_form"] = ScoreForm(items=manual)
        if card.is_published and can(
            request.user, AppraisalCapability.PUBLISH_SCORECARDS, card.grid
        ):
            context["correct_form"] = CorrectForm(items=manual)
    return render(request, "appraisal/card.html", context)


def _manual_items(card: Scorecard) -> list[SchemeItem]:
    return [row["item"] for row in _rows(card) if row["item"].is_manual]


@login_required
@require_POST
def card_score(request, pk: int):
    """Score a manual item of a draft card, or correct a published one (a new version)."""
    card = get_object_or_404(
        Scorecard.objects.visible_to(request.user).current().select_related("grid"), pk=pk
    )
    needed = (
        AppraisalCapability.PUBLISH_SCORECARDS
        if card.is_published
        else AppraisalCapability.SCORE_WORKERS
    )
    if not can(request.user, needed, card.grid):
        raise PermissionDenied
    items = _manual_items(card)
    form = (CorrectForm if card.is_published else ScoreForm)(request.POST, items=items)
    if not form.is_valid():
        messages.error(request, _("Check the score: %(errors)s") % {"errors": form.errors})
        return redirect("appraisal_card", pk=card.pk)
    data = form.cleaned_data
    item = next(i for i in items if i.code == data["item"])
    try:
        if card.is_published:
            card = services.correct_card(
                by=request.user,
                card=card,
                reason=data["reason"],
                manual_scores={item.code: data["score"]},
            )
        else:
            services.score_manual(
                by=request.user, card=card, item=item, score=data["score"], note=data["note"]
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Scorecard saved."))
    return redirect("appraisal_card", pk=card.pk)


def _area(request, code: str) -> Area:
    return area_or_404(request.user, code, levels=RANKED_LEVELS)


def _ranked(area: Area, month: dt.date) -> list[Scorecard]:
    return list(
        Scorecard.objects.current()
        .filter(month=month, grid__path__startswith=area.path)
        .select_related("worker", "grid")
        .order_by("-total", "worker__username")
    )


@login_required
def ranking(request, code: str, year: int | None = None, month: int | None = None):
    """An area's ranking for a month: the lowest flagged for a talk, the top is 网格之星."""
    area = _area(request, code)
    wanted = month_start(timezone.localdate()) if year is None else _month(year, month)
    cards = _ranked(area, wanted)
    flagged = cards[-LOWEST_FLAGGED:] if len(cards) > LOWEST_FLAGGED else []
    lowest = {c.pk for c in flagged}
    # The month's talks with the flagged, in one query: the latest date per worker.
    held = {}
    if flagged:
        held = dict(
            Talk.objects.filter(month=wanted, worker_id__in=[c.worker_id for c in flagged])
            .order_by("held_on")
            .values_list("worker_id", "held_on")
        )
    for card in flagged:
        card.talk_on = held.get(card.worker_id)
        card.may_talk = card.is_published and may_record_talk(request.user, card.grid)
    previous = (wanted - dt.timedelta(days=1)).replace(day=1)
    return render(
        request,
        "appraisal/ranking.html",
        {
            "area": area,
            "month": wanted,
            "previous": previous,
            "cards": cards,
            "lowest": lowest,
            "flagged": flagged,
            "star": cards[0] if cards and cards[0].total > 0 else None,
            "drafts": sum(1 for c in cards if not c.is_published),
            # The street publishes its whole month, from its own ranking.
            "may_publish": may_publish(request.user, area),
            "may_decide": may_decide_promotions(request.user, area),
            "may_set_scheme": may_set_scheme(request.user),
        },
    )


@login_required
@require_POST
def publish(request, code: str, year: int, month: int):
    area = _area(request, code)
    if not may_publish(request.user, area):
        raise PermissionDenied
    wanted = _month(year, month)
    count = services.publish_month(by=request.user, area=area, month=wanted)
    messages.success(request, _("%(count)d scorecards published.") % {"count": count})
    return redirect("appraisal_ranking_month", code=area.code, year=wanted.year, month=wanted.month)


@login_required
@reads_from_replica()
def export(request, code: str, year: int, month: int):
    """A month's scorecards of an area, ranked, one row per worker, as Excel."""
    from openpyxl import Workbook

    area = area_or_404(request.user, code, TerritoryCapability.EXPORT, levels=RANKED_LEVELS)
    wanted = _month(year, month)
    cards = _ranked(area, wanted)
    items = list(SchemeItem.objects.in_force(wanted))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=f"{wanted:%Y-%m}")
    sheet.append(
        [_("Scorecards: %(area)s, %(month)s") % {"area": area.name, "month": f"{wanted:%Y-%m}"}]
    )
    sheet.append(
        [_("Rank"), _("Name"), _("Area"), _("Post"), _("State"), _("Version")]
        + [item.name for item in items]
        + [_("Total")]
    )
    for rank, card in enumerate(cards, start=1):
        sheet.append(
            [
                rank,
                card.worker.display_name or card.worker.username,
                card.grid.name,
                card.get_role_display(),
                card.get_state_display(),
                card.version,
            ]
            + [float(card.figures.get(i.code, {}).get("score", 0)) for i in items]
            + [float(card.total)]
        )
    return xlsx_response(book, f"scorecards-{area.code}-{wanted:%Y-%m}.xlsx")


@login_required
def card_talk(request, pk: int):
    """Record a talk with the worker of a published card (末位约谈)."""
    card = get_object_or_404(
        Scorecard.objects.visible_to(request.user)
        .current()
        .filter(state=Scorecard.State.PUBLISHED)
        .select_related("grid", "worker"),
        pk=pk,
    )
    if not may_record_talk(request.user, card.grid):
        raise PermissionDenied
    form = TalkForm(request.POST or None, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_talk(by=request.user, card=card, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("The talk is recorded."))
            return redirect("appraisal_card", pk=card.pk)
    return render(request, "appraisal/talk_form.html", {"card": card, "form": form})


# --- The district's scheme ------------------------------------------------------------------------


def _in_force(items: list[SchemeItem], month: dt.date) -> list[SchemeItem]:
    """``SchemeItem.objects.in_force`` over versions already read (no query)."""
    latest: dict[str, SchemeItem] = {}
    for item in sorted(items, key=lambda i: (i.valid_from, i.version)):
        if item.valid_from <= month:
            latest[item.code] = item
    return sorted((i for i in latest.values() if i.weight > 0), key=lambda i: i.position)


@login_required
def scheme(request):
    """The district's scheme: the items in force this month and their total, the versions to
    come, each item's history, and the form that makes a new version (or a new item). Anyone
    but district staff gets a 404: there is nothing of theirs here."""
    if not may_set_scheme(request.user):
        raise Http404
    this_month = month_start(timezone.localdate())
    items = list(SchemeItem.objects.select_related("created_by").order_by("code", "version"))
    earliest = services.earliest_change()
    wanted = request.GET.get("item")
    # Start from the version that would be in force in the first month open to change.
    versions = sorted(
        (i for i in items if i.code == wanted), key=lambda i: (i.valid_from, i.version)
    )
    base = next((i for i in reversed(versions) if i.valid_from <= earliest), None) or (
        versions[0] if versions else None
    )
    initial = {"valid_from": earliest.isoformat(), "position": len({i.code for i in items})}
    if base is not None:
        initial.update(
            code=base.code,
            name_en=base.name_en,
            name_zh=base.name_zh,
            figure=base.figure,
            weight=base.weight,
            full_marks_at=base.full_marks_at,
            position=base.position,
        )
    form = SchemeItemForm(request.POST or None, initial=initial, earliest=earliest)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.set_scheme_item(by=request.user, **data),
            _("Saved: a new version of the item."),
        )
        if saved is not NOT_SAVED:
            return redirect("appraisal_scheme")
    in_force = _in_force(items, this_month)
    upcoming = []
    for month in sorted({i.valid_from for i in items if i.valid_from > this_month}):
        upcoming.append(
            {
                "month": month,
                "changes": [i for i in items if i.valid_from == month],
                "total": sum(i.weight for i in _in_force(items, month)),
            }
        )
    histories: dict[str, list[SchemeItem]] = {}
    for item in items:
        histories.setdefault(item.code, []).insert(0, item)
    return render(
        request,
        "appraisal/scheme.html",
        {
            "month": this_month,
            "in_force": in_force,
            "total": sum(i.weight for i in in_force),
            "upcoming": upcoming,
            "histories": sorted(histories.values(), key=lambda v: (v[0].position, v[0].code)),
            "earliest": earliest,
            "form": form,
            "editing": base,
        },
    )
