"""A community's rules for its requests, set by its own staff: whether its grids' full-time
workers accept (受理) new requests. Another community's page is a 404."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import NOT_SAVED, submit_form
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS
from grids.scope import path_q, scope_paths
from grids.views import breadcrumbs
from tickets import services
from tickets.models import CommunityRules
from tickets.policy import TicketCapability, may_change_community_rules


class CommunityRulesForm(forms.Form):
    grid_workers_accept = forms.BooleanField(
        label=gettext_lazy("The grid workers of our grids may accept new requests"),
        help_text=gettext_lazy(
            "Off: only grid leaders and the community's staff accept (受理) a new request. "
            "On: a grid's full-time workers accept the new requests of their grid too."
        ),
        required=False,
    )


@login_required
def community_rules(request, code):
    community = get_object_or_404(
        Area.objects.filter(
            path_q(scope_paths(request.user, TicketCapability.DISPATCH_TICKETS), "path"),
            level__in=COMMUNITY_LEVELS,
        ),
        code=code,
    )
    if not may_change_community_rules(request.user, community):
        raise Http404
    rules = CommunityRules.objects.filter(community=community).first()
    form = CommunityRulesForm(
        request.POST or None,
        initial={"grid_workers_accept": bool(rules and rules.grid_workers_accept)},
    )
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.set_community_rules(by=request.user, community=community, **data),
        _("Saved: who accepts new requests in this community."),
    )
    if saved is not NOT_SAVED:
        return redirect("community_ticket_rules", code=community.code)
    return render(
        request,
        "tickets/community_rules.html",
        {
            "form": form,
            "area": community,
            "breadcrumbs": [*breadcrumbs(request, community), (community, True)],
        },
    )
