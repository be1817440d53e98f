"""Playing the demo's planned requests (tickets/demo.py) through the state machine.

One clock for all of them: every step of every request is taken in time order, so a
duplicate is merged into a request that is open at that moment.

- The recent requests (``Plan.live``), every one that is still open among them, are played
  by the service functions themselves (tickets/services.py, each step ``at`` its moment):
  the boards, the pages and the sweep start from exactly what the services leave.
- The older history, all of it closed, rejected or merged by now, is played on paper: the
  same moves applied to unsaved rows, each refused unless ``services.RULES`` allows it from
  the state the ticket is in and to the person taking it, with the services' deadlines
  (``due``), schedule and version count, then written in bulk. Through the services each
  move costs about 8 ms of CPU (a lock, ``full_clean`` and its queries, the event): all
  ~4,700 took ``make run``'s seed on SQLite from 18 s to 57 s of CPU, this way it takes 24 s.
  tests/tickets/test_demo.py holds both halves to the same rules.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from core.images import clean_image
from tickets import services
from tickets.deadlines import due
from tickets.models import OPEN_STATUSES, Event, OwnerLevel, Photo, Status, Ticket
from tickets.timeline import AUTO_CLOSE_DAYS, schedule

A = Event.Action


@dataclass
class Plan:
    """One request's life: what it is and the steps it takes, each at its moment."""

    grid: object
    submit: dict
    code: str
    token: str
    live: bool
    steps: list[tuple[dt.datetime, str, dict]] = field(default_factory=list)
    ticket: Ticket | None = None

    @property
    def submitted_at(self) -> dt.datetime:
        return self.submit["at"]


class Player:
    def __init__(self, plans: list[Plan], photo: bytes, rejected: str):
        self.plans, self.photo, self.rejected = plans, photo, rejected
        self.open_in: defaultdict[tuple, dict[int, Plan]] = defaultdict(dict)
        self.paper = Paper(photo)

    def play(self) -> None:
        queue = [(plan.submitted_at, n, -1) for n, plan in enumerate(self.plans)]
        heapq.heapify(queue)
        while queue:
            _at, n, index = heapq.heappop(queue)
            plan = self.plans[n]
            if index < 0:
                self._submit(plan)
            else:
                at, action, kwargs = plan.steps[index]
                if action == "merge":
                    self._merge(plan, at, kwargs)
                elif plan.live:
                    self._live(plan, at, action, dict(kwargs))
                else:
                    self.paper.move(plan.ticket, at, action, **kwargs)
            here = (plan.live, plan.grid.pk)
            if plan.ticket.status in OPEN_STATUSES and plan.ticket.area_id == plan.grid.pk:
                self.open_in[here][n] = plan
            else:
                self.open_in[here].pop(n, None)
            if index + 1 < len(plan.steps):
                heapq.heappush(queue, (plan.steps[index + 1][0], n, index + 1))
        self.paper.write()

    def _submit(self, plan: Plan) -> None:
        if not plan.live:
            plan.ticket = self.paper.submit(plan)
            return
        ticket = services.submit(**plan.submit)
        # Codes drawn from the seed, so the demo's links are the same on every machine.
        Ticket.objects.filter(pk=ticket.pk).update(short_code=plan.code, tracking_token=plan.token)
        ticket.short_code, ticket.tracking_token = plan.code, plan.token
        plan.ticket = ticket

    def _merge(self, plan: Plan, at: dt.datetime, kwargs: dict) -> None:
        """A duplicate goes into the latest request open in its grid (of the same matter if
        there is one); with nothing open it is refused instead."""
        others = [
            p.ticket
            for n, p in sorted(self.open_in[(plan.live, plan.grid.pk)].items())
            if p is not plan and p.ticket.status != Status.SUSPENDED
        ]
        same = [t for t in others if t.matter_id == plan.ticket.matter_id]
        master = (same or others or [None])[-1]
        if master is None:
            action, kwargs = "reject", {**kwargs, "reason": self.rejected}
        else:
            action, kwargs = "merge", {**kwargs, "into": master}
        if plan.live:
            self._live(plan, at, action, kwargs)
        else:
            self.paper.move(plan.ticket, at, action, **kwargs)

    def _live(self, plan: Plan, at: dt.datetime, action: str, kwargs: dict) -> None:
        ticket = plan.ticket
        if action == "auto_close":
            services.auto_close(ticket_id=ticket.pk, now=at)
            plan.ticket = Ticket.objects.select_related("area", "matter").get(pk=ticket.pk)
            return
        if action == "resolve" and kwargs.pop("photo"):
            kwargs["photos"] = [ContentFile(self.photo, name="result.jpg")]
        call = {
            "accept": services.accept,
            "reject": services.reject,
            "merge": services.merge,
            "assign": services.assign,
            "claim": services.claim,
            "start": services.start,
            "return": services.return_to_dispatch,
            "suspend": services.suspend,
            "resume": services.resume,
            "resolve": services.resolve,
            "rate": services.rate,
            "escalate": services.escalate,
            "acknowledge": services.acknowledge,
        }[action]
        plan.ticket = call(ticket=ticket, at=at, **kwargs)


class Paper:
    """The services' moves on unsaved rows, for history too long to replay one save at a
    time; refused like the services refuse them, and written in bulk at the end."""

    def __init__(self, photo: bytes):
        self.photo = photo
        self.tickets: list[Ticket] = []
        self.events: list[Event] = []
        self.photos: list[Photo] = []
        self.merged: list[tuple[Ticket, Ticket]] = []

    def submit(self, plan: Plan) -> Ticket:
        s, at = plan.submit, plan.submitted_at
        matter = s["matter"]
        ticket = Ticket(
            short_code=plan.code,
            tracking_token=plan.token,
            channel=s["channel"],
            matter=matter,
            description=s["description"],
            household=s["household"],
            area=s["grid"],
            department=matter.department if matter.owner_level == OwnerLevel.DEPARTMENT else None,
            reporter_phone=s["reporter_phone"],
            reporter_name=s["reporter_name"],
            reported_by=s["by"],
            submitted_at=at,
            response_due=due(at, matter.response_limit, matter.response_unit),
        )
        schedule(ticket)
        self.tickets.append(ticket)
        self._event(ticket, A.SUBMIT, s["by"], "", at)
        return ticket

    def move(self, ticket: Ticket, at: dt.datetime, action: str, *, by=None, **kw) -> None:
        action = {"return": A.RETURN, "auto_close": A.CLOSE}.get(action, action)
        before, note, public = ticket.status, "", True
        if action in services.RULES:
            rule = services.RULES[action]
            if before not in rule.from_statuses or not rule.allowed(by, ticket):
                raise ValueError(f"{ticket.short_code}: {action} from {before} by {by}")
        if action == A.ACCEPT:
            ticket.status, ticket.accepted_at = Status.ACCEPTED, at
            ticket.completion_due = services.completion_due(ticket, at)
        elif action == A.REJECT:
            ticket.status, ticket.closed_at = Status.REJECTED, at
            ticket.public_reason = note = kw["reason"]
        elif action == A.MERGE:
            master = kw["into"]
            ticket.status, ticket.closed_at = Status.MERGED, at
            ticket.public_reason = note = _(
                "Merged with request %(code)s, which reports the same problem."
            ) % {"code": master.short_code}
            self.merged.append((ticket, master))
        elif action in (A.ASSIGN, A.CLAIM):
            assignee = kw.get("assignee", by)
            ticket.status, ticket.assignee, ticket.department = Status.ASSIGNED, assignee, None
            if action == A.ASSIGN:
                note = _("to %(who)s") % {"who": str(assignee)}
        elif action == A.START:
            ticket.status = Status.IN_PROGRESS
        elif action == A.RETURN:
            ticket.status, ticket.assignee, ticket.department = Status.ACCEPTED, None, None
            note, public = kw["reason"], False
        elif action == A.SUSPEND:
            ticket.status_before_suspension, ticket.status = before, Status.SUSPENDED
            ticket.suspended_at, note = at, kw["reason"]
        elif action == A.RESUME:
            ticket.status, ticket.status_before_suspension = ticket.status_before_suspension, ""
            ticket.completion_due += at - ticket.suspended_at  # the time waiting does not count
            ticket.deadline_version += 1
            ticket.suspended_at = None
        elif action == A.RESOLVE:
            if ticket.matter.photo_required and not kw["photo"]:
                raise ValueError(f"{ticket.short_code}: resolved without the photo it needs")
            ticket.status, ticket.resolved_at, note = Status.RESOLVED, at, kw["result"]
        elif action == "rate":
            action, note = self._rate(ticket, at, kw["rating"], kw.get("comment", ""))
        elif action == A.CLOSE:
            if before != Status.RESOLVED or at < ticket.resolved_at + dt.timedelta(
                days=AUTO_CLOSE_DAYS
            ):
                raise ValueError(f"{ticket.short_code}: closed before its review period ended")
            ticket.status, ticket.closed_at, ticket.auto_closed = Status.CLOSED, at, True
            note = _("Closed as satisfied: no review within %(n)s days.") % {"n": AUTO_CLOSE_DAYS}
        else:
            raise ValueError(f"{ticket.short_code}: no paper move for {action}")
        ticket.version += 1
        schedule(ticket)
        if ticket.status not in OPEN_STATUSES and ticket.status != Status.RESOLVED:
            ticket.next_check_at = None
        event = self._event(ticket, action, by, before, at, note, public)
        if action == A.RESOLVE and kw["photo"]:
            self.photos.append(Photo(ticket=ticket, event=event, kind=Photo.Kind.RESULT))
        if action == A.MERGE:
            self._event(
                master,
                A.NOTE,
                by,
                master.status,
                at,
                _("Request %(code)s was merged into this one.") % {"code": ticket.short_code},
            )

    def _rate(self, ticket: Ticket, at: dt.datetime, rating: int, comment: str):
        """services.rate: 3–5 stars close it, 1–2 reopen it for another round."""
        if ticket.status != Status.RESOLVED:
            raise ValueError(f"{ticket.short_code}: rated while {ticket.status}")
        ticket.rating, ticket.rating_comment = rating, comment
        if rating >= 3:
            ticket.status, ticket.closed_at = Status.CLOSED, at
            return A.RATE, _("%(n)s stars") % {"n": rating}
        ticket.reopen_count += 1
        ticket.status, ticket.assignee, ticket.department = Status.ACCEPTED, None, None
        ticket.resolved_at, ticket.accepted_at = None, at
        ticket.completion_due = services.completion_due(ticket, at)
        return A.REOPEN, _("%(n)s stars: %(comment)s") % {"n": rating, "comment": comment}

    def _event(self, ticket, action, by, before, at, note="", public=True) -> Event:
        event = Event(
            ticket=ticket,
            at=at,
            actor=by,
            action=action,
            from_status=before,
            to_status=ticket.status,
            note=note,
            public=public,
        )
        self.events.append(event)
        return event

    def write(self) -> None:
        Ticket.objects.bulk_create(self.tickets, batch_size=2000)
        for duplicate, master in self.merged:
            duplicate.merged_into = master
        Ticket.objects.bulk_update([d for d, _m in self.merged], ["merged_into"])
        Event.objects.bulk_create(self.events, batch_size=5000)
        if self.photos:
            # One cleaned file, as a resolve would store it, shown by every old result.
            first = self.photos[0]
            first.image.save("result.jpg", clean_image(ContentFile(self.photo)), save=False)
            for photo in self.photos:
                photo.image = first.image.name
            Photo.objects.bulk_create(self.photos, batch_size=2000)
