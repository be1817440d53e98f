"""Writes of the career ladder: place a worker on a grade, propose the month's promotions,
decide a proposal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.ladder import ROLE_TRACK, Grade, GradeHolding, Promotion
from appraisal.models import SCORED_ROLES, Scorecard, month_start
from appraisal.policy import LadderCapability, may_set_grade
from grids.models import Area, Post
from grids.scope import can


def _years(days: int) -> Decimal:
    return (Decimal(days) / Decimal("365.25")).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def years_in_post(posts: list[tuple[dt.date, dt.date | None]], today: dt.date) -> Decimal:
    """Years served in scored posts up to ``today``; overlapping posts count once."""
    days, reached = 0, dt.date.min
    for start, end in sorted(posts):
        end = min(end or today, today)
        start = max(start, reached)
        if end > start:
            days += (end - start).days
        reached = max(reached, end)
    return _years(days)


def current_post(worker) -> Post | None:
    """The worker's scored post (the first, as the scorecards take it)."""
    return (
        Post.objects.active()
        .filter(user=worker, role__in=SCORED_ROLES)
        .select_related("area")
        .order_by("started_on", "pk")
        .first()
    )


def grade_setter(user, worker) -> Post | None:
    """The worker's current scored post when ``user`` may set their grade by hand (district
    or street staff over it), else None: the worker themself never may."""
    if user.pk == worker.pk:
        return None
    post = current_post(worker)
    return post if post is not None and may_set_grade(user, post.area) else None


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    return reason


def _move(*, worker, grade: Grade, since: dt.date, reason: str, by, promotion=None):
    current = GradeHolding.objects.select_for_update().current().filter(worker=worker).first()
    if current is not None:
        if since < current.since:
            raise ValidationError(
                {
                    "since": _("The new grade cannot start before the current one (%(date)s).")
                    % {"date": current.since}
                }
            )
        current.until = since
        current.full_clean()
        current.save(update_fields=["until"])
    holding = GradeHolding(
        worker=worker, grade=grade, since=since, reason=reason, granted_by=by, promotion=promotion
    )
    holding.full_clean()
    holding.save()
    return holding


@transaction.atomic
def set_grade(*, by, worker, grade: Grade, since: dt.date, reason: str) -> GradeHolding:
    """Place ``worker`` on ``grade`` from ``since`` (a district or street officer over their
    grid, never the worker themself): the current holding ends that day.

    The worker's open promotion proposal, if any, is withdrawn: it was made from the grade
    they held, which ``decide_promotion`` would now refuse to approve, and left open it would
    keep the monthly job from proposing the step after the new grade (one open proposal per
    worker). It stays in the history as withdrawn, with the officer's reason."""
    if grade_setter(by, worker) is None:
        raise PermissionDenied
    reason = _check_reason(reason)
    if not grade.active:
        raise ValidationError({"grade": _("This grade is no longer in use.")})
    current = GradeHolding.objects.current().filter(worker=worker).first()
    if current is not None and current.grade_id == grade.pk:
        raise ValidationError({"grade": _("The worker already holds this grade.")})
    holding = _move(worker=worker, grade=grade, since=since, reason=reason, by=by)
    proposal = Promotion.objects.select_for_update().open().filter(worker=worker).first()
    if proposal is not None:
        proposal.state = Promotion.State.WITHDRAWN
        proposal.decided_by, proposal.decided_at = by, timezone.now()
        proposal.reason = (_("Grade set by hand: %(reason)s") % {"reason": reason})[:500]
        proposal.full_clean()
        proposal.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    return holding


@dataclass
class Standing:
    """A worker's figures against the next grade."""

    worker_id: int
    post: Post
    current: Grade | None
    next: Grade | None
    average: Decimal | None
    months: int
    years: Decimal

    @property
    def eligible(self) -> bool:
        grade = self.next
        if grade is None:
            return False
        if self.months < grade.min_months or self.years < grade.min_years:
            return False
        if grade.min_average == 0:
            return True
        return self.average is not None and self.average >= grade.min_average


def standings(*, area: Area, today: dt.date) -> list[Standing]:
    """Every worker with a scored post under ``area`` today, against their next grade: the
    grades, the posts, the holdings and the scores, one query each."""
    grades = list(Grade.objects.filter(active=True).order_by("track", "level"))
    by_track: dict[str, list[Grade]] = {}
    for grade in grades:
        by_track.setdefault(grade.track, []).append(grade)
    here = (
        Post.objects.active(today)
        .filter(role__in=SCORED_ROLES, area__path__startswith=area.path)
        .values("user_id")
    )
    posts = list(
        Post.objects.filter(role__in=SCORED_ROLES, user__in=here, started_on__lte=today)
        .select_related("area")
        .order_by("user_id", "started_on", "pk")
    )
    served: dict[int, list] = {}
    scored: dict[int, Post] = {}
    for post in posts:
        served.setdefault(post.user_id, []).append((post.started_on, post.ended_on))
        if post.is_active(today) and post.area.path.startswith(area.path):
            scored.setdefault(post.user_id, post)
    ids = list(scored)
    holdings = {
        h.worker_id: h.grade
        for h in GradeHolding.objects.current().filter(worker__in=ids).select_related("grade")
    }
    this_month = month_start(today)
    first = month_start(this_month - dt.timedelta(days=365))
    scores = {
        row["worker"]: row
        for row in Scorecard.objects.current()
        .filter(
            worker__in=ids,
            state=Scorecard.State.PUBLISHED,
            month__gte=first,
            month__lt=this_month,
        )
        .values("worker")
        .annotate(average=Avg("total"), months=Count("pk"))
    }
    rows = []
    for worker_id, post in scored.items():
        current = holdings.get(worker_id)
        track = current.track if current is not None else ROLE_TRACK[post.role]
        ladder = by_track.get(track, [])
        if current is None:
            following = ladder[:1]
        else:
            following = [g for g in ladder if g.level > current.level][:1]
        row = scores.get(worker_id, {})
        average = row.get("average")
        rows.append(
            Standing(
                worker_id=worker_id,
                post=post,
                current=current,
                next=following[0] if following else None,
                average=Decimal(average).quantize(Decimal("0.01")) if average is not None else None,
                months=row.get("months", 0),
                years=years_in_post(served[worker_id], today),
            )
        )
    return rows


@transaction.atomic
def propose_promotions(*, area: Area, today: dt.date | None = None) -> list[Promotion]:
    """Propose the next grade to every worker under ``area`` who meets its rules today.

    A worker with an open proposal gets no other, nor a second one in a month (a grade the
    street refused is not proposed again until the next): run twice, it proposes nothing new."""
    today = today or timezone.localdate()
    rows = [s for s in standings(area=area, today=today) if s.eligible]
    ids = [s.worker_id for s in rows]
    since = timezone.make_aware(dt.datetime.combine(month_start(today), dt.time.min))
    # One proposal at a time, and one a month: a decision this month stands until next month.
    busy = set(
        Promotion.objects.filter(worker__in=ids)
        .filter(Q(state=Promotion.State.PROPOSED) | Q(created_at__gte=since))
        .values_list("worker_id", flat=True)
    )
    new = [
        Promotion(
            worker_id=s.worker_id,
            grid=s.post.area,
            from_grade=s.current,
            to_grade=s.next,
            average=s.average,
            months=s.months,
            years=s.years,
        )
        for s in rows
        if s.worker_id not in busy
    ]
    return Promotion.objects.bulk_create(new)


@transaction.atomic
def decide_promotion(*, by, proposal: Promotion, approve: bool, reason: str) -> Promotion:
    """The street approves (the worker moves up today) or rejects a proposal, with a reason."""
    proposal = Promotion.objects.select_for_update().select_related("grid").get(pk=proposal.pk)
    if not can(by, LadderCapability.DECIDE_PROMOTIONS, proposal.grid):
        raise PermissionDenied
    if not proposal.is_open:
        raise ValidationError(
            _("This proposal was already %(state)s.") % {"state": proposal.get_state_display()}
        )
    reason = _check_reason(reason)
    now = timezone.now()
    if approve:
        current = GradeHolding.objects.current().filter(worker_id=proposal.worker_id).first()
        if (current.grade_id if current else None) != proposal.from_grade_id:
            raise ValidationError(
                _("The worker's grade changed since the proposal; it can only be rejected.")
            )
        _move(
            worker=proposal.worker,
            grade=proposal.to_grade,
            since=timezone.localdate(now),
            reason=reason,
            by=by,
            promotion=proposal,
        )
    proposal.state = Promotion.State.APPROVED if approve else Promotion.State.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.reason = by, now, reason
    proposal.full_clean()
    proposal.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    return proposal
