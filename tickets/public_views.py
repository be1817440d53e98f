"""Resident-facing pages: no account, a phone, a QR code.

- ``/r/<grid>/``: a request to the grid (群众点单), from the QR code on a station or door.
- ``/t/<token>/``: the tracking page behind the 192-bit link (status, public timeline,
  photos, the review); ``/t/`` finds it again from the short code and the mobile number.
- ``/wishes/<community>/``: the wish wall (微心愿) and its form; members claim wishes there
  and community staff record the co-building units that took one.

What a public page never shows: a resident's mobile number, name or address, a staff
member's name or phone, an internal note. Posting is rate-limited per address and per
mobile number (``PUBLIC_FORM_RATE_IP``, ``PUBLIC_FORM_RATE_PHONE``), answered by the polite
429 page below, and guarded by a honeypot field.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.forms import apply_errors
from core.ratelimit import ip_limit, over_limit, too_many_requests
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS, Level
from grids.scope import can
from tickets import services
from tickets.models import (
    ACTIVE_STATUSES,
    WISH_MATTER,
    Channel,
    Department,
    Event,
    Matter,
    Photo,
    Status,
    Ticket,
)
from tickets.policy import TicketCapability, may_claim, may_dispatch, may_help_with_wishes
from tickets.public_forms import LookupForm, RatingForm, ResidentRequestForm, WishForm

A = Event.Action
SUBMIT_GROUP = "tickets.public.submit"
LOOKUP_GROUP = "tickets.public.lookup"
WALL_PAGE_SIZE = 20

# What the resident reads: plain words, never the staff vocabulary or a person.
STATUS_WORDS = {
    Status.SUBMITTED: gettext_lazy("Received: waiting for the community to respond"),
    Status.ACCEPTED: gettext_lazy("Accepted: waiting for someone to take it on"),
    Status.ASSIGNED: gettext_lazy("Someone is taking care of it"),
    Status.IN_PROGRESS: gettext_lazy("Work is under way"),
    Status.SUSPENDED: gettext_lazy("On hold for now"),
    Status.RESOLVED: gettext_lazy("Done: please tell us how it went"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.REJECTED: gettext_lazy("Not taken up"),
    Status.MERGED: gettext_lazy("Handled together with another request"),
}
WISH_WORDS = {
    Status.SUBMITTED: gettext_lazy("Received: the community reads it before it goes on the wall"),
    Status.ACCEPTED: gettext_lazy("On the wall: waiting for a helper"),
    Status.ASSIGNED: gettext_lazy("A helper has taken it on"),
    Status.IN_PROGRESS: gettext_lazy("A helper has taken it on"),
    Status.SUSPENDED: gettext_lazy("A helper has taken it on"),
    Status.RESOLVED: gettext_lazy("Fulfilled: waiting for the wisher to confirm"),
    Status.CLOSED: gettext_lazy("Fulfilled"),
    Status.REJECTED: STATUS_WORDS[Status.REJECTED],
    Status.MERGED: STATUS_WORDS[Status.MERGED],
}
EVENT_WORDS = {
    A.SUBMIT: gettext_lazy("Request sent"),
    A.ACCEPT: gettext_lazy("Accepted by the community"),
    A.REJECT: gettext_lazy("Not taken up"),
    A.ASSIGN: gettext_lazy("Given to someone to handle"),
    A.CLAIM: gettext_lazy("Taken on by a helper"),
    A.START: gettext_lazy("Work started"),
    A.RETURN: gettext_lazy("Back with the community to find someone else"),
    A.SUSPEND: gettext_lazy("Put on hold"),
    A.RESUME: gettext_lazy("Work resumed"),
    A.ESCALATE: gettext_lazy("Passed to a higher level for help"),
    A.ACKNOWLEDGE: gettext_lazy("The higher level has taken it on"),
    A.RESOLVE: gettext_lazy("Marked as done"),
    A.RATE: gettext_lazy("You reviewed it"),
    A.REOPEN: gettext_lazy("Reopened after your review"),
    A.CLOSE: gettext_lazy("Closed"),
    A.MERGE: gettext_lazy("Merged with another report of the same problem"),
    A.NOTE: gettext_lazy("Updated"),
}
# The wall lists wishes someone can still help with, and those waiting for confirmation.
WALL_STATUSES = [
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
    Status.RESOLVED,
]


# --- Rate limits and the 429 page ---------------------------------------------------------------


def _phone_limit(request, phone: str, *, increment: bool) -> int | None:
    return over_limit(
        request,
        f"{SUBMIT_GROUP}.phone",
        settings.PUBLIC_FORM_RATE_PHONE,
        lambda _group, _request: phone,
        increment=increment,
    )


# --- Helpers ------------------------------------------------------------------------------------


def _public_base(request) -> str:
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _public_grid(code: str) -> Area:
    """A grid by code; 404 for anything else (never a 500)."""
    return get_object_or_404(Area.objects.filter(level=Level.GRID), code=code)


def _public_community(code: str) -> Area:
    return get_object_or_404(Area.objects.filter(level__in=COMMUNITY_LEVELS), code=code)


def _private(response):
    """Pages behind the tracking link: not stored, not indexed. (The site's referrer policy,
    same-origin, keeps the link from other sites; "no-referrer" would make browsers send
    ``Origin: null`` with the review form, which CSRF protection rightly refuses.)"""
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _file(request, form, *, channel: str, matter: Matter, grid=None, community=None):
    """File a valid public form. The response to send (the tracking page, the 429 page, the
    bot's thanks), or None when the service refused it and the form now carries the errors."""
    data = form.cleaned_data
    if form.is_bot:
        # A bot filled the hidden field: thank it and store nothing.
        return render(request, "tickets/public/thanks.html")
    phone = data["reporter_phone"]
    wait = _phone_limit(request, phone, increment=False)
    if wait:
        return too_many_requests(request, retry_after=wait)
    try:
        ticket = services.submit(
            channel=channel,
            matter=matter,
            description=data["description"],
            address=data.get("address", ""),
            longitude=data.get("longitude"),
            latitude=data.get("latitude"),
            reporter_name=data["reporter_name"],
            reporter_phone=phone,
            grid=grid,
            community=community,
            photos=data["photos"],
            photos_later=True,  # re-encoded by a task: the resident is not kept waiting
        )
    except ValidationError as error:
        apply_errors(form, error)
        return None
    _phone_limit(request, phone, increment=True)
    return redirect(reverse("ticket_track", args=[ticket.tracking_token]) + "?sent=1")


# --- 群众点单: the form behind the grid's QR code -------------------------------------------


@require_http_methods(["GET", "POST"])
def resident_request(request, code):
    grid = _public_grid(code)
    if request.method == "POST":
        wait = ip_limit(request, SUBMIT_GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = ResidentRequestForm(request.POST, request.FILES)
        if form.is_valid():
            done = _file(
                request, form, channel=Channel.QR, matter=form.cleaned_data["matter"], grid=grid
            )
            if done is not None:
                return done
    else:
        form = ResidentRequestForm()
    return render(
        request,
        "tickets/public/request_form.html",
        # The community only for the page: a request taken never reads it.
        {"grid": grid, "community": Area.objects.get_parent(grid), "form": form},
        status=400 if form.errors else 200,
    )


# --- The tracking page ----------------------------------------------------------------------------


def _tracked(token: str) -> Ticket:
    if len(token) > 64:
        raise Http404
    return get_object_or_404(
        Ticket.objects.select_related("matter__category", "area", "merged_into__matter"),
        tracking_token=token,
    )


def _master_of(ticket: Ticket) -> Ticket | None:
    """The request a merged one now lives in (following a later merge of that one too)."""
    master, seen = ticket.merged_into, {ticket.pk}
    while master is not None and master.merged_into_id and master.pk not in seen:
        seen.add(master.pk)
        master = Ticket.objects.select_related("merged_into__matter").get(pk=master.pk).merged_into
    return master


def _deadline(ticket: Ticket, now: dt.datetime) -> dict | None:
    """The one deadline the resident is waiting on, in words."""
    if ticket.status == Status.SUBMITTED:
        return {"kind": "response", "at": ticket.response_due, "late": now > ticket.response_due}
    if ticket.status in ACTIVE_STATUSES and ticket.completion_due:
        return {
            "kind": "completion",
            "at": ticket.completion_due,
            "late": now > ticket.completion_due,
        }
    if ticket.status == Status.SUSPENDED:
        return {"kind": "paused"}
    if ticket.status == Status.RESOLVED and ticket.resolved_at:
        return {
            "kind": "review",
            "at": ticket.resolved_at + dt.timedelta(days=services.AUTO_CLOSE_DAYS),
            "days": services.AUTO_CLOSE_DAYS,
        }
    return None


def _cohandling_words(ticket: Ticket, events: list) -> dict[int, str]:
    """The co-handling lines of a request's timeline in the resident's words, naming the
    departments (public bodies; never the staff who act for them): who was summoned, who
    acknowledged (报到), who reported its part, who turned out for a joint action. One query,
    two more when the timeline has notes."""
    summonses = list(ticket.summonses.select_related("department").order_by("-role", "pk"))
    comma = _(", ")
    words: dict[int, str] = {}
    for event in events:
        if event.action == A.ESCALATE:
            group = [s for s in summonses if s.summoned_at == event.at]
            if group:
                words[event.pk] = _("Summoned: %(departments)s") % {
                    "departments": comma.join(
                        _("%(department)s (lead)") % {"department": s.department.name}
                        if s.is_lead
                        else s.department.name
                        for s in group
                    )
                }
        elif event.action == A.ACKNOWLEDGE:
            group = [s for s in summonses if s.acknowledged_at == event.at]
            if group:
                words[event.pk] = _("%(department)s acknowledged (报到)") % {
                    "department": comma.join(s.department.name for s in group)
                }
        elif event.action == A.NOTE:
            group = [s for s in summonses if s.report_event_id == event.pk and not s.is_lead]
            if group:
                words[event.pk] = _("%(department)s reported its part") % {
                    "department": group[0].department.name
                }
    notes = [event for event in events if event.action == A.NOTE and event.pk not in words]
    if notes:
        # A joint action's line (tickets/joint.py) is written at the moment it is recorded.
        held = {
            action.created_at: action
            for action in ticket.joint_actions.filter(
                created_at__in=[event.at for event in notes]
            ).prefetch_related(
                Prefetch("departments", queryset=Department.objects.order_by("code"))
            )
        }
        for event in notes:
            action = held.get(event.at)
            if action is not None:
                words[event.pk] = _("Joint action with %(departments)s") % {
                    "departments": comma.join(d.name for d in action.departments.all())
                }
    return words


@never_cache
@require_http_methods(["GET", "POST"])
def ticket_track(request, token):
    ticket = _tracked(token)
    form = RatingForm() if ticket.status == Status.RESOLVED else None
    if request.method == "POST":
        if ticket.status != Status.RESOLVED:
            messages.info(request, _("This request is not waiting for your review."))
            return redirect("ticket_track", token=token)
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                ticket = services.rate(
                    ticket=ticket,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except services.TicketBusy as error:
                messages.warning(request, error.message)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                if ticket.status == Status.CLOSED:
                    messages.success(request, _("Thank you for your review."))
                else:
                    messages.success(
                        request,
                        _("Thank you. We are sorry it was not good enough: it has been reopened."),
                    )
            return redirect("ticket_track", token=token)
    now = timezone.now()
    is_wish = ticket.matter.code == WISH_MATTER
    words = WISH_WORDS if is_wish else STATUS_WORDS
    master = _master_of(ticket) if ticket.status == Status.MERGED else None
    events = list(
        ticket.events.filter(public=True).only("ticket_id", "action", "at").order_by("at", "pk")
    )
    cohandling = _cohandling_words(ticket, events)
    photos = list(ticket.photos.only("pk", "kind", "ticket_id", "processed"))
    response = render(
        request,
        "tickets/public/track.html",
        {
            "ticket": ticket,
            "is_wish": is_wish,
            "status_words": words.get(ticket.status, ticket.get_status_display()),
            "master": master,
            "master_words": STATUS_WORDS.get(master.status) if master else None,
            "timeline": [
                (
                    cohandling.get(e.pk) or EVENT_WORDS.get(e.action, e.get_action_display()),
                    e.at,
                )
                for e in events
            ],
            "report_photos": [p for p in photos if p.kind == Photo.Kind.REPORT],
            "result_photos": [p for p in photos if p.kind == Photo.Kind.RESULT],
            "deadline": _deadline(ticket, now),
            "form": form,
            "sent": request.GET.get("sent") == "1",
            "link": _public_base(request) + reverse("ticket_track", args=[ticket.tracking_token]),
            "now": now,
        },
        status=400 if form is not None and form.errors else 200,
    )
    return _private(response)


@require_http_methods(["GET"])
def track_photo(request, token, pk):
    """A photo of a request, for whoever holds its tracking link."""
    photo = get_object_or_404(
        Photo.objects.select_related("ticket"), pk=pk, ticket__tracking_token=token
    )
    return _private(photo.serve())


@never_cache
@require_http_methods(["GET", "POST"])
def track_lookup(request):
    """The short code and the mobile number given with it → the tracking page."""
    form = LookupForm()
    if request.method == "POST":
        wait = ip_limit(request, LOOKUP_GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = LookupForm(request.POST)
        if form.is_valid():
            ticket = (
                Ticket.objects.filter(
                    short_code=form.cleaned_data["code"],
                    reporter_phone=form.cleaned_data["phone"],
                )
                .only("tracking_token")
                .first()
            )
            if ticket is not None:
                return redirect("ticket_track", token=ticket.tracking_token)
            # The same words whether the code exists or not: nothing to enumerate.
            form.add_error(
                None,
                _(
                    "We found no request with this code and mobile number. Check both and "
                    "try again."
                ),
            )
    return render(
        request,
        "tickets/public/lookup.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


# --- 微心愿: the wish wall --------------------------------------------------------------------


def _wishes(community: Area):
    return Ticket.objects.filter(matter__code=WISH_MATTER, area__path__startswith=community.path)


class UnitForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    unit = forms.ModelChoiceField(label=gettext_lazy("Co-building unit"), queryset=None)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


def _units(community: Area):
    from branches.models import CoBuildingUnit

    return CoBuildingUnit.objects.filter(community=community).order_by("name")


@require_http_methods(["GET"])
def wish_wall(request, code):
    community = _public_community(code)
    wishes = (
        _wishes(community)
        .filter(status__in=WALL_STATUSES)
        .annotate(
            wall_order=Case(
                When(status=Status.ACCEPTED, then=Value(0)),
                When(status=Status.RESOLVED, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("unit")
        .only(
            "pk",
            "short_code",
            "description",
            "submitted_at",
            "status",
            "version",
            "assignee_id",
            "department_id",
            "unit",
            "unit__name",
        )
        .order_by("wall_order", "-submitted_at", "-pk")
    )
    page = Paginator(wishes, WALL_PAGE_SIZE).get_page(request.GET.get("page"))
    year_ago = timezone.now() - dt.timedelta(days=365)
    fulfilled = _wishes(community).filter(status=Status.CLOSED, closed_at__gte=year_ago).count()
    user = request.user
    helper = may_help_with_wishes(user, community)
    dispatcher = user.is_authenticated and can(user, TicketCapability.DISPATCH_TICKETS, community)
    units = list(_units(community)) if dispatcher else []
    for wish in page:
        wish.words = WISH_WORDS[wish.status]
        wish.open = (
            wish.status == Status.ACCEPTED
            and not wish.assignee_id
            and not wish.department_id
            and not wish.unit_id
        )
    return render(
        request,
        "tickets/public/wall.html",
        {
            "community": community,
            "page": page,
            "fulfilled": fulfilled,
            "helper": helper,
            "dispatcher": dispatcher,
            "units": units,
        },
    )


@require_http_methods(["GET", "POST"])
def wish_new(request, code):
    community = _public_community(code)
    form = WishForm()
    if request.method == "POST":
        wait = ip_limit(request, SUBMIT_GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = WishForm(request.POST, request.FILES)
        if form.is_valid():
            matter = Matter.objects.filter(code=WISH_MATTER, active=True).first()
            if matter is None:
                form.add_error(None, _("This community does not take micro-wishes at the moment."))
            else:
                done = _file(
                    request, form, channel=Channel.WISH, matter=matter, community=community
                )
                if done is not None:
                    return done
    return render(
        request,
        "tickets/public/wish_form.html",
        {"community": community, "form": form},
        status=400 if form.errors else 200,
    )


def _wish(code: str, pk: int) -> tuple[Area, Ticket]:
    community = _public_community(code)
    ticket = get_object_or_404(
        _wishes(community).select_related("matter", "area", "department", "assignee", "unit"),
        pk=pk,
    )
    return community, ticket


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def wish_claim(request, code, pk):
    """A member takes a wish from the wall (接单); they fulfil it from their tasks."""
    community, ticket = _wish(code, pk)
    if not may_claim(request.user, ticket):
        raise PermissionDenied
    try:
        services.claim(by=request.user, ticket=ticket, expected_version=_version(request))
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        if Ticket.objects.filter(
            pk=ticket.pk, assignee__isnull=True, unit__isnull=True, department__isnull=True
        ).exists():
            messages.error(request, " ".join(error.messages))
        else:
            messages.warning(
                request, _("Someone has already taken this wish. Thank you all the same!")
            )
    else:
        messages.success(
            request,
            _(
                "Thank you! The wish is yours. When it is fulfilled, mark it done here with a "
                "photo; the wisher then confirms."
            ),
        )
        return redirect("ticket_detail", code=ticket.short_code)
    return redirect("wish_wall", code=community.code)


@login_required
@require_POST
def wish_unit(request, code, pk):
    """Community staff record that a co-building unit (共建单位) took a wish."""
    community, ticket = _wish(code, pk)
    if not may_dispatch(request.user, ticket):
        raise PermissionDenied
    form = UnitForm(request.POST, units=_units(community))
    if not form.is_valid():
        messages.error(request, _("Choose the co-building unit that took the wish."))
        return redirect("wish_wall", code=community.code)
    unit = form.cleaned_data["unit"]
    try:
        services.assign(
            by=request.user,
            ticket=ticket,
            unit=unit,
            expected_version=form.cleaned_data["version"],
        )
    except services.StaleTicket as error:
        messages.warning(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Recorded: %(unit)s took the wish. Record its result on the request page.")
            % {"unit": unit.name},
        )
    return redirect("wish_wall", code=community.code)
