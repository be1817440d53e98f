"""Residents' pages, no sign-in: the community's deliberation page (topics under way and the
form to raise one), a decision's public notice (公示) with the objection form while it is up,
and the 亮晒评 page of completed 实事 projects, where residents rate them.

A public page never shows a resident's name or number. Posts are rate-limited per address
(``core.ratelimit``) and guarded by a honeypot, like the tickets' public forms.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.forms import apply_errors
from core.ratelimit import ip_limit, too_many_requests
from deliberation import services
from deliberation.forms import ObjectionForm, PublicTopicForm, RatingForm
from deliberation.models import Meeting, Option, Project, ProjectPhoto, Topic
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS

GROUP = "deliberation.public"
# As the tickets' public wall: a phone's screenful or two, then the next page.
PUBLIC_SIZE = 20
S = Topic.Status


def _paged(request, rows):
    """A page of ``rows`` and the query string its links keep (not the thank-you flag)."""
    page = Paginator(rows, PUBLIC_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    for key in ("page", "sent"):
        keep.pop(key, None)
    return page, keep.urlencode()


def _community(code: str) -> Area:
    return get_object_or_404(Area.objects.filter(level__in=COMMUNITY_LEVELS), code=code)


def _post(request, form, write) -> object | None:
    """A public post: rate-limited, a bot's post silently dropped, a refusal on the form.
    Returns the response to send, else None (show the form again)."""
    if not form.is_valid():
        return None
    if form.is_bot:
        return "bot"
    data = {k: v for k, v in form.cleaned_data.items() if k != "website"}
    try:
        return write(data)
    except ValidationError as error:
        apply_errors(form, error)
        return None


@never_cache
def community_page(request, code: str):
    community = _community(code)
    form = PublicTopicForm()
    if request.method == "POST":
        wait = ip_limit(request, GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = PublicTopicForm(request.POST)
        done = _post(request, form, lambda d: services.raise_topic(community=community, **d))
        if done is not None:
            return redirect(f"{request.path}?sent=1#raise")
    # The latest first; a community's years of topics a page at a time.
    page, keep = _paged(
        request,
        Topic.objects.filter(community=community)
        .exclude(status__in=[S.RAISED, S.DECLINED])
        .select_related("decision", "project")
        .order_by("-created_at", "-pk"),
    )
    return render(
        request,
        "deliberation/public/community.html",
        {
            "community": community,
            "topics": page.object_list,
            "page": page,
            "keep": keep,
            "form": form,
            "sent": request.GET.get("sent") == "1",
        },
        status=400 if form.errors else 200,
    )


@never_cache
def notice(request, code: str, pk: int):
    """公示: the topic, the meetings and the vote, the decision and its objection period."""
    community = _community(code)
    topic = get_object_or_404(
        Topic.objects.filter(community=community)
        .exclude(status__in=[S.RAISED, S.DECLINED])
        .select_related("decision__option", "project"),
        pk=pk,
    )
    decision = getattr(topic, "decision", None)
    form = ObjectionForm()
    if request.method == "POST" and decision is not None:
        wait = ip_limit(request, GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = ObjectionForm(request.POST)
        done = _post(request, form, lambda d: services.object_to(decision=decision, **d))
        if done is not None:
            return redirect(f"{request.path}?sent=1")
    meetings = Meeting.objects.filter(topic=topic).prefetch_related(
        Prefetch("options", queryset=Option.objects.order_by("pk"))
    )
    return render(
        request,
        "deliberation/public/notice.html",
        {
            "community": community,
            "topic": topic,
            "decision": decision,
            "meetings": meetings,
            "objections": decision.objections.count() if decision else 0,
            "in_notice": decision.in_notice_period() if decision else False,
            "form": form,
            "sent": request.GET.get("sent") == "1",
        },
        status=400 if form.errors else 200,
    )


@never_cache
def projects(request, code: str):
    """亮晒评: the community's 实事 projects, under way and completed, with their stars."""
    community = _community(code)
    page, keep = _paged(
        request,
        Project.objects.filter(topic__community=community)
        .annotate(stars=Avg("ratings__stars"), ratings_count=Count("ratings"))
        .order_by("-started_on", "-pk"),
    )
    return render(
        request,
        "deliberation/public/projects.html",
        {"community": community, "projects": page.object_list, "page": page, "keep": keep},
    )


@never_cache
def project(request, code: str, pk: int):
    community = _community(code)
    item = get_object_or_404(
        Project.objects.filter(topic__community=community)
        .select_related("topic__decision")
        .prefetch_related("photos")
        .annotate(stars=Avg("ratings__stars"), ratings_count=Count("ratings")),
        pk=pk,
    )
    form = RatingForm()
    if request.method == "POST":
        wait = ip_limit(request, GROUP)
        if wait:
            return too_many_requests(request, retry_after=wait)
        form = RatingForm(request.POST)
        done = _post(request, form, lambda d: services.rate_project(project=item, **d))
        if done is not None:
            return redirect(f"{request.path}?sent=1")
    return render(
        request,
        "deliberation/public/project.html",
        {
            "community": community,
            "project": item,
            "updates": item.updates.prefetch_related("photos"),
            "completion_photos": item.completion_photos(),
            "ratings": item.ratings.exclude(comment="")[:20],
            "form": form,
            "sent": request.GET.get("sent") == "1",
        },
        status=400 if form.errors else 200,
    )


@require_GET
def project_photo(request, code: str, pk: int):
    """A photo of a 实事 project, to anyone while the project is public (its topic accepted
    and not declined) in this community; otherwise 404, whoever asks. Served from private
    storage through this check rather than from public storage, so a photo is never reachable
    by a guessed URL outside the project, and hiding a project hides its photos with it."""
    photo = get_object_or_404(
        ProjectPhoto.objects.filter(project__topic__community__code=code).exclude(
            project__topic__status__in=[S.RAISED, S.DECLINED]
        ),
        pk=pk,
    )
    return photo.serve(public=True)
