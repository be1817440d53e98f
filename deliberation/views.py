"""Staff pages: the community's topic board, a topic's page (accept, meeting and vote,
decision, follow-up), and the worker's form that raises a topic for residents."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.forms import NOT_SAVED, submit_form
from deliberation import services
from deliberation.forms import (
    CompleteForm,
    DecisionForm,
    DeclineForm,
    MeetingForm,
    ProgressForm,
    ProjectForm,
    RequestForm,
    WorkerTopicForm,
)
from deliberation.models import Meeting, Option, Project, Topic
from deliberation.policy import DeliberationCapability, may_manage
from grids.access import area_or_404, community_or_404
from grids.models import Area
from grids.roles import Level

S = Topic.Status
# The board's tabs: what waits for the community first.
TABS = [
    ("raised", _("Raised"), [S.RAISED]),
    ("accepted", _("To meet"), [S.ACCEPTED, S.SCHEDULED]),
    ("decided", _("Public notice"), [S.DECIDED]),
    ("follow_up", _("Follow-up"), [S.FOLLOW_UP]),
    ("closed", _("Closed"), [S.DONE, S.DECLINED]),
]
PAGE_SIZE = 25


@login_required
def board(request, code: str):
    community = community_or_404(request.user, code)
    topics = Topic.objects.filter(community=community)
    counts = dict(topics.values_list("status").annotate(n=Count("pk")).order_by())
    wanted = request.GET.get("tab", "raised")
    tab = next((t for t in TABS if t[0] == wanted), TABS[0])
    # Years of closed topics: each tab is read a page at a time.
    paginator = Paginator(
        topics.filter(status__in=tab[2])
        .select_related("grid", "decision", "project")
        .order_by("-created_at", "-pk"),
        PAGE_SIZE,
    )
    # The tab's count is already read: no second COUNT over the same topics.
    paginator.count = sum(counts.get(s, 0) for s in tab[2])
    page = paginator.get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "deliberation/board.html",
        {
            "community": community,
            "tabs": [(key, label, sum(counts.get(s, 0) for s in st)) for key, label, st in TABS],
            "tab": tab[0],
            "topics": page.object_list,
            "page": page,
            "keep": keep.urlencode(),
            "may_manage": may_manage(request.user, community),
            "public_url": request.build_absolute_uri(
                reverse("deliberation_public", args=[community.code])
            ),
        },
    )


@login_required
def raise_topic(request, code: str):
    """A worker brings residents' topic from their grid to the community."""
    grid = area_or_404(request.user, code, DeliberationCapability.RAISE_TOPICS, levels=[Level.GRID])
    community = Area.objects.get(path=grid.path[: len(grid.path) - Area.steplen])
    form = WorkerTopicForm(request.POST or None)
    topic = submit_form(
        request,
        form,
        lambda data, _v: services.raise_topic(
            community=community, grid=grid, by=request.user, **data
        ),
        _("The topic is sent to the community."),
    )
    if topic is not NOT_SAVED:
        return (
            redirect("deliberation_board", code=community.code)
            if may_manage(request.user, community)
            else redirect("deliberation_notice", code=community.code, pk=topic.pk)
        )
    return render(request, "deliberation/raise.html", {"grid": grid, "form": form})


def _topic(request, pk: int) -> Topic:
    return get_object_or_404(
        Topic.objects.visible_to(request.user).select_related(
            "community", "grid", "decision__option", "project", "ticket"
        ),
        pk=pk,
    )


def _forms(topic: Topic, data=None, action: str = "", files=None) -> dict:
    """Each step's form; only the one posted gets the data."""
    today = timezone.localdate().isoformat()
    pick = lambda name: data if action == name else None  # noqa: E731
    files_of = lambda name: files if action == name else None  # noqa: E731
    return {
        "decline": DeclineForm(pick("decline")),
        "meeting": MeetingForm(pick("meeting"), initial={"held_on": today}),
        "decide": DecisionForm(pick("decide"), topic=topic),
        "project": ProjectForm(
            pick("project"), initial={"title": topic.title, "started_on": today}
        ),
        "request": RequestForm(pick("request")),
        "progress": ProgressForm(pick("progress"), files_of("progress"), initial={"on": today}),
        "complete": CompleteForm(pick("complete"), files_of("complete"), initial={"on": today}),
    }


def _write(request, topic: Topic, action: str, form):
    by = request.user
    project = getattr(topic, "project", None)
    writes = {
        "accept": lambda d: services.accept_topic(topic=topic, by=by),
        "decline": lambda d: services.decline_topic(topic=topic, by=by, **d),
        "meeting": lambda d: services.record_meeting(topic=topic, by=by, **form.service_data()),
        "decide": lambda d: services.decide(topic=topic, by=by, **d),
        "project": lambda d: services.start_project(topic=topic, by=by, **d),
        "close": lambda d: services.close_without_project(topic=topic, by=by),
        "request": lambda d: services.follow_up_as_request(topic=topic, by=by, **d),
        "progress": lambda d: services.update_progress(project=project, by=by, **d),
        "complete": lambda d: services.complete_project(project=project, by=by, **d),
    }
    return submit_form(request, form, lambda d, _v: writes[action](d), _("Saved."))


@login_required
def topic_detail(request, pk: int):
    topic = _topic(request, pk)
    managing = may_manage(request.user, topic.community)
    action = request.POST.get("action", "")
    forms = _forms(topic, request.POST, action, request.FILES)
    if request.method == "POST":
        if not managing:
            raise PermissionDenied
        if action not in ("accept", "close", *forms) or (
            action in ("progress", "complete") and not hasattr(topic, "project")
        ):
            return redirect("deliberation_topic", pk=topic.pk)
        # Accepting and closing carry no fields: an empty bound form is valid.
        form = forms.get(action) or django_forms.Form(request.POST)
        if _write(request, topic, action, form) is not NOT_SAVED:
            return redirect("deliberation_topic", pk=topic.pk)
        if action in ("accept", "close"):
            for error in form.non_field_errors():
                messages.error(request, error)
            return redirect("deliberation_topic", pk=topic.pk)
    meetings = Meeting.objects.filter(topic=topic).prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("pk"))
    )
    project = (
        Project.objects.filter(topic=topic).prefetch_related("updates__photos", "photos").first()
    )
    decision = getattr(topic, "decision", None)
    return render(
        request,
        "deliberation/topic.html",
        {
            "topic": topic,
            "meetings": meetings,
            "decision": decision,
            "objections": decision.objections.all() if decision else [],
            "project": project,
            "completion_photos": project.completion_photos() if project else [],
            "forms": forms,
            "may_manage": managing,
            "in_notice": decision.in_notice_period() if decision else False,
        },
    )
