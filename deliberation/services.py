"""The writes of a deliberation, from the topic a resident raises to the rating of the 实事
project it became. Every state change goes through here, so the public pages, the staff pages
and the demo follow the same rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.images import clean_photos
from deliberation.models import (
    OBJECTION_DAYS,
    Decision,
    Meeting,
    Objection,
    Option,
    ProgressUpdate,
    Project,
    ProjectPhoto,
    Rating,
    Topic,
    phone_digest,
)
from deliberation.policy import DeliberationCapability, may_manage, may_raise
from grids.models import Area
from grids.policy import roles_holding
from grids.roles import COMMUNITY_LEVELS, Level
from grids.selectors import holders_above
from notifications.models import NoticeKind
from notifications.notify import notify
from tickets import services as tickets_services
from tickets.models import Channel

S = Topic.Status
# Photos one progress update or one completion carries.
MAX_PHOTOS = 6


def _require_manage(by, topic: Topic) -> None:
    if by is not None and not may_manage(by, topic.community):
        raise PermissionDenied


def _require_status(topic: Topic, *allowed: str) -> None:
    if topic.status not in allowed:
        raise ValidationError(
            _("This topic is “%(status)s”: that step is not possible now.")
            % {"status": topic.get_status_display()}
        )


@transaction.atomic
def raise_topic(
    *,
    community: Area,
    title: str,
    description: str,
    name: str = "",
    phone: str = "",
    grid: Area | None = None,
    by=None,
    at: dt.datetime | None = None,
) -> Topic:
    """A resident raises a topic from the public page (``by`` None), or a worker raises it on
    residents' behalf from their grid (then it is the worker's channel)."""
    if community.level not in COMMUNITY_LEVELS:
        raise ValidationError(_("Topics are raised in a community."))
    if grid is not None and (grid.level != Level.GRID or not grid.path.startswith(community.path)):
        raise ValidationError(_("That grid is not in this community."))
    if by is not None and not may_raise(by, grid or community):
        raise PermissionDenied
    topic = Topic(
        community=community,
        grid=grid,
        title=title.strip(),
        description=description.strip(),
        raised_by_name=name.strip(),
        raised_by_phone=phone,
        raised_by=by,
        channel=Topic.Channel.PUBLIC if by is None else Topic.Channel.WORKER,
        created_at=at or timezone.now(),
    )
    topic.full_clean()
    topic.save()
    if by is None and at is None:
        _announce(topic)
    return topic


def managers_of(community: Area):
    """Who may run the deliberation of ``community``: the holders of an active post, at the
    community or above it, in a role that has ``MANAGE_DELIBERATION``."""
    return holders_above(community, roles_holding(DeliberationCapability.MANAGE_DELIBERATION))


def _announce(topic: Topic) -> int:
    """Tell the community's staff of a topic a resident raised: in the topic's transaction, so
    a refused topic tells no one; the deliveries are enqueued on commit (notifications/notify.py)
    and the key (kind, topic, person) makes it once. Residents' words stay out of group chats."""
    return notify(
        kind=NoticeKind.TOPIC_RAISED,
        recipients=list(managers_of(topic.community)),
        subject=topic,
        params={"topic": topic.pk, "title": topic.title, "community": topic.community.name},
        robots=False,
    )


def _save_photos(project: Project, kind: str, cleaned: list, update=None) -> None:
    for content in cleaned:
        photo = ProjectPhoto(project=project, update=update, kind=kind)
        photo.image.save(content.name, content, save=False)
        photo.save()


@transaction.atomic
def accept_topic(*, topic: Topic, by, at: dt.datetime | None = None) -> Topic:
    _require_manage(by, topic)
    _require_status(topic, S.RAISED)
    topic.status = S.ACCEPTED
    topic.accepted_at = at or timezone.now()
    topic.save(update_fields=["status", "accepted_at"])
    return topic


@transaction.atomic
def decline_topic(*, topic: Topic, by, reason: str) -> Topic:
    _require_manage(by, topic)
    _require_status(topic, S.RAISED)
    if not reason.strip():
        raise ValidationError({"reason": _("Tell the resident why the topic is declined.")})
    topic.status = S.DECLINED
    topic.decline_reason = reason.strip()
    topic.save(update_fields=["status", "decline_reason"])
    return topic


@transaction.atomic
def record_meeting(
    *,
    topic: Topic,
    by,
    held_on: dt.date,
    place: str,
    residents: int = 0,
    party_members: int = 0,
    property_company: int = 0,
    co_building_units: int = 0,
    participant_names: str = "",
    minutes: str = "",
    options: Sequence[dict],
    method: str = Option.Method.HANDS,
) -> Meeting:
    """The meeting and its vote: each option's counts (for / against / abstain), never more
    votes on an option than people in the room."""
    _require_manage(by, topic)
    _require_status(topic, S.ACCEPTED, S.SCHEDULED)
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("Record a meeting once it has been held.")})
    meeting = Meeting(
        topic=topic,
        held_on=held_on,
        place=place.strip(),
        residents=residents,
        party_members=party_members,
        property_company=property_company,
        co_building_units=co_building_units,
        participant_names=participant_names.strip(),
        minutes=minutes.strip(),
    )
    meeting.full_clean()
    if meeting.participants == 0:
        raise ValidationError(_("A meeting needs participants."))
    options = [o for o in options if (o.get("text") or "").strip()]
    if not options:
        raise ValidationError(_("Put at least one option to the vote."))
    meeting.save()
    for row in options:
        counts = {k: row.get(k) or 0 for k in ("votes_for", "votes_against", "abstain")}
        if any(n < 0 for n in counts.values()):
            raise ValidationError(_("Vote counts cannot be negative."))
        option = Option(topic=topic, meeting=meeting, text=row["text"].strip(), method=method)
        for key, n in counts.items():
            setattr(option, key, n)
        option.full_clean()
        option.save()
    topic.status = S.SCHEDULED
    topic.save(update_fields=["status"])
    return meeting


@transaction.atomic
def decide(
    *,
    topic: Topic,
    by,
    option: Option,
    text: str,
    days: int = OBJECTION_DAYS,
    at: dt.datetime | None = None,
) -> Decision:
    """The meeting's choice becomes a decision, published at once (公示) with ``days`` for
    objections."""
    _require_manage(by, topic)
    _require_status(topic, S.SCHEDULED)
    if option.topic_id != topic.pk:
        raise ValidationError({"option": _("Choose one of this topic's options.")})
    if days < 1:
        raise ValidationError({"days": _("The notice stays up at least one day.")})
    at = at or timezone.now()
    decision = Decision(
        topic=topic,
        option=option,
        text=text.strip(),
        published_at=at,
        objections_until=timezone.localdate(at) + dt.timedelta(days=days),
        decided_by=by,
    )
    decision.full_clean()
    decision.save()
    topic.status = S.DECIDED
    topic.save(update_fields=["status"])
    return decision


@transaction.atomic
def object_to(
    *, decision: Decision, name: str = "", phone: str, text: str, at: dt.datetime | None = None
) -> Objection:
    """A resident objects to a published decision, only while the notice is up."""
    at = at or timezone.now()
    if not decision.in_notice_period(timezone.localdate(at)):
        raise ValidationError(_("The objection period of this notice is over."))
    objection = Objection(
        decision=decision, name=name.strip(), phone=phone, text=text.strip(), created_at=at
    )
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def start_project(
    *,
    topic: Topic,
    by,
    title: str,
    budget: Decimal,
    funding: str,
    started_on: dt.date | None = None,
) -> Project:
    """Follow-up: the decision becomes a 实事 project, once its notice period is over."""
    _require_manage(by, topic)
    _require_status(topic, S.DECIDED)
    started_on = started_on or timezone.localdate()
    if topic.decision.in_notice_period(started_on):
        raise ValidationError(_("Wait for the end of the objection period before starting."))
    project = Project(
        topic=topic, title=title.strip(), budget=budget, funding=funding, started_on=started_on
    )
    project.full_clean()
    project.save()
    topic.status = S.FOLLOW_UP
    topic.save(update_fields=["status"])
    return project


@transaction.atomic
def follow_up_as_request(*, topic: Topic, by, matter) -> Topic:
    """Follow-up: the decision becomes a request (诉求) in the community's workflow, once its
    notice period is over; the topic keeps the link to it."""
    _require_manage(by, topic)
    _require_status(topic, S.DECIDED)
    if topic.decision.in_notice_period():
        raise ValidationError(_("Wait for the end of the objection period before starting."))
    topic.ticket = tickets_services.submit(
        channel=Channel.STAFF,
        matter=matter,
        description=f"{topic.title}: {topic.decision.text}",
        community=topic.community,
        grid=topic.grid,
        by=by,
    )
    topic.status = S.FOLLOW_UP
    topic.save(update_fields=["ticket", "status"])
    return topic


@transaction.atomic
def close_without_project(*, topic: Topic, by) -> Topic:
    """A decision that needs no project (a rule agreed, a clean-up done by the residents)."""
    _require_manage(by, topic)
    _require_status(topic, S.DECIDED)
    if topic.decision.in_notice_period():
        raise ValidationError(_("Wait for the end of the objection period."))
    topic.status = S.DONE
    topic.save(update_fields=["status"])
    return topic


@transaction.atomic
def update_progress(
    *, project: Project, by, on: dt.date, percent: int, note: str, photos: Iterable = ()
) -> ProgressUpdate:
    """A step of the work, with photos of it if any (shown on the public project page)."""
    _require_manage(by, project.topic)
    if project.completed:
        raise ValidationError(_("The project is completed."))
    if percent < project.progress:
        raise ValidationError({"percent": _("Progress does not go backwards.")})
    update = ProgressUpdate(project=project, on=on, percent=percent, note=note.strip())
    update.full_clean()
    # Every photo checked and re-encoded before anything is written.
    cleaned = clean_photos(photos, max_count=MAX_PHOTOS)
    update.save()
    _save_photos(project, ProjectPhoto.Kind.PROGRESS, cleaned, update=update)
    project.progress = percent
    project.save(update_fields=["progress"])
    return update


@transaction.atomic
def complete_project(
    *, project: Project, by, photos: Iterable, on: dt.date | None = None
) -> Project:
    """Completed: the project goes on the 亮晒评 page, where residents rate it; at least one
    photo of the finished work shows them what they rate."""
    _require_manage(by, project.topic)
    if project.completed:
        raise ValidationError(_("The project is completed already."))
    on = on or timezone.localdate()
    if on < project.started_on:
        raise ValidationError({"on": _("A project is not completed before it starts.")})
    photos = list(photos)
    if not photos:
        raise ValidationError(
            {"photos": _("Add at least one photo of the completed work: residents see it.")}
        )
    cleaned = clean_photos(photos, max_count=MAX_PHOTOS)
    project.progress = 100
    project.completed_on = on
    project.save(update_fields=["progress", "completed_on"])
    _save_photos(project, ProjectPhoto.Kind.COMPLETION, cleaned)
    topic = project.topic
    topic.status = S.DONE
    topic.save(update_fields=["status"])
    return project


@transaction.atomic
def rate_project(
    *, project: Project, phone: str, stars: int, comment: str = "", at: dt.datetime | None = None
) -> Rating:
    """亮晒评: one rating per mobile number and project, once the project is completed."""
    if not project.completed:
        raise ValidationError(_("Residents rate a project once it is completed."))
    rating = Rating(
        project=project,
        stars=stars,
        comment=comment.strip(),
        phone_digest=phone_digest(phone),
        created_at=at or timezone.now(),
    )
    rating.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError:
        raise ValidationError(_("This mobile number has rated this project already.")) from None
    return rating
