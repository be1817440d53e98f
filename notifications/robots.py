"""An area's WeCom and DingTalk group robots: the officers who form the area's team
(``MANAGE_POSTS``, notifications.services) list, add, change, deactivate and reactivate them,
at their area and below. A robot's URL and secret are never shown once saved.

Anyone else gets a 404, as for an area they cannot see: a street officer does not learn of
another street's robots.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.concurrency import ConcurrentEdit
from core.forms import apply_errors
from core.history import history_for
from grids.models import Area
from notifications import services
from notifications.forms import RobotForm
from notifications.models import WebhookTarget

CAPABILITY = services.ROBOT_CAPABILITY


def _area(request, code: str) -> Area:
    return get_object_or_404(Area.objects.visible_to(request.user, CAPABILITY), code=code)


def _robot(request, pk: int) -> WebhookTarget:
    return get_object_or_404(
        WebhookTarget.objects.visible_to(request.user, CAPABILITY).select_related("area"), pk=pk
    )


def _save(request, form, write, success: str) -> bool:
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned(), form.cleaned_data.get("version"))
    except ConcurrentEdit as error:
        form.add_error(None, error.message)
        return False
    except ValidationError as error:
        apply_errors(form, error)
        return False
    messages.success(request, success)
    return True


@login_required
def area_robots(request, code):
    area = _area(request, code)
    robots = (
        WebhookTarget.objects.filter(area__path__startswith=area.path)
        .select_related("area")
        .order_by("-active", "area__path", "channel", "pk")
    )
    return render(request, "notifications/robots.html", {"area": area, "robots": robots})


@login_required
def robot_new(request, code):
    area = _area(request, code)
    form = RobotForm(request.POST or None)
    if _save(
        request,
        form,
        lambda data, _version: services.create_robot(by=request.user, area=area, **data),
        _("Robot added. Its address and secret are not shown again."),
    ):
        return redirect("area_robots", code=area.code)
    return render(request, "notifications/robot_form.html", {"area": area, "form": form})


@login_required
def robot_edit(request, pk):
    robot = _robot(request, pk)
    form = RobotForm(request.POST or None, robot=robot)
    if _save(
        request,
        form,
        lambda data, version: services.update_robot(
            by=request.user, robot=robot, expected_version=version, **data
        ),
        _("Robot saved."),
    ):
        return redirect("robot_edit", pk=robot.pk)
    if form.errors:
        robot.refresh_from_db()
    return render(
        request,
        "notifications/robot_form.html",
        {"area": robot.area, "robot": robot, "form": form, "history": history_for(robot)},
    )


@login_required
@require_POST
def robot_active(request, pk):
    robot = _robot(request, pk)
    active = request.POST.get("active") == "1"
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.set_robot_active(
            by=request.user, robot=robot, active=active, expected_version=version
        )
    except ConcurrentEdit as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Robot reactivated: messages go to it again.")
            if active
            else _("Robot deactivated: no more messages go to it."),
        )
    return redirect("robot_edit", pk=robot.pk)
