"""The working-day calendar's page: district staff add next year's public holidays and
weekend working days (调休) once the State Council publishes them, and delete a mistaken one.
Request deadlines count with it (core/workdays.py); only district staff see the page, anyone
else gets a 404 (there is nothing of theirs here)."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_errors
from core.models import CalendarDay
from core.workdays import missing_year
from tickets import services
from tickets.forms import CalendarDaysForm
from tickets.policy import may_manage_calendar


def _require_manager(user) -> None:
    if not may_manage_calendar(user):
        raise Http404


@login_required
def calendar(request):
    _require_manager(request.user)
    form = CalendarDaysForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.add_calendar_days(
                by=request.user,
                start=data["start"],
                end=data["end"],
                is_workday=data["kind"] == "workday",
                note=data["note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(n)s days added to the calendar.") % {"n": len(added)}
                if len(added) > 1
                else _("%(date)s added to the calendar.") % {"date": added[0].date.isoformat()},
            )
            return redirect("calendar")
    rows = CalendarDay.objects.order_by("date")
    return render(
        request,
        "tickets/calendar.html",
        {
            "form": form,
            # The latest year first: it is the one being filled in.
            "years": sorted(
                ((year, list(days)) for year, days in groupby(rows, lambda r: r.date.year)),
                reverse=True,
            ),
            "missing_year": missing_year(),
        },
    )


@login_required
@require_POST
def calendar_delete(request, pk):
    _require_manager(request.user)
    day = get_object_or_404(CalendarDay, pk=pk)
    services.delete_calendar_day(by=request.user, day=day)
    messages.success(request, _("%(date)s removed from the calendar.") % {"date": day.date})
    return redirect("calendar")
