"""A party member's own pages: their points and declarations (个人申报)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch, PartyMember
from core.forms import NOT_SAVED, submit_form
from grids.models import Area
from grids.roles import COMMUNITY_LEVELS
from grids.scope import path_q, scope_paths
from points import periods, selectors, services
from points.forms import DeclarationForm, RedeclareForm
from points.models import Account, Declaration, Entry, Rule, Scheme
from points.policy import PointsCapability
from points.views.common import item_or_404


def _member_rules():
    """Rules members declare by: not the one closed requests earn by (that is proposed)."""
    ticket_rule = services.ticket_rule()
    return (
        Rule.objects.filter(
            superseded_at__isnull=True,
            scheme__active=True,
            scheme__audience=Scheme.Audience.MEMBERS,
        )
        .exclude(pk=ticket_rule.pk if ticket_rule else None)
        .select_related("scheme")
        .order_by("scheme__code", "code")
    )


@login_required
def my_points(request):
    user = request.user
    accounts = list(
        Account.objects.filter(Q(user=user) | Q(member__user=user))
        .select_related("scheme", "community", "member__branch")
        .order_by("scheme__code")
    )
    entries = list(
        Entry.objects.filter(account__in=accounts).select_related("rule", "account__scheme")[:15]
    )
    mine = list(
        Declaration.objects.filter(created_by=user, origin=Declaration.Origin.DECLARED)
        .select_related("rule")
        .order_by("-created_at")[:15]
    )
    year = periods.containing(timezone.localdate(), "year")
    standings = []
    for account in accounts:
        unit = account.member.branch if account.member and account.member.branch else None
        unit = unit or account.community
        standings.append(
            (account, unit, selectors.standing_of(account=account, unit=unit, period=year))
        )
    member = getattr(user, "party_member", None)
    return render(
        request,
        "points/my_points.html",
        {
            "accounts": accounts,
            "entries": entries,
            "mine": mine,
            "standings": standings,
            "year": year,
            "is_member": member is not None,
            "can_declare": member is not None and _member_rules().exists(),
            "work": _work_links(user),
        },
    )


def _work_links(user) -> list[tuple[str, str]]:
    """The points pages the user works on: their branches to convene, their communities."""
    links = []
    for branch in Branch.objects.filter(secretary__user=user).order_by("code"):
        links.append(
            (
                _("Collect declarations · %(b)s") % {"b": branch.name},
                reverse("points_collect", args=[branch.code]),
            )
        )
    verify = scope_paths(user, PointsCapability.VERIFY_POINTS)
    if verify:  # superusers (None) use the area pages instead of a list of every community
        communities = Area.objects.filter(path_q(verify, "path"), level__in=COMMUNITY_LEVELS)
        for community in communities.order_by("path")[:10]:
            links.append(
                (
                    _("Verify · %(c)s") % {"c": community.name},
                    reverse("points_verify", args=[community.code]),
                )
            )
    return links


@login_required
def declare(request):
    member = getattr(request.user, "party_member", None)
    if member is None:
        # Said plainly, not a bare "not allowed": workers and volunteers reach this page too.
        return render(request, "points/declare_not_member.html", status=403)
    form = DeclarationForm(
        request.POST or None,
        request.FILES or None,
        rules=_member_rules(),
        stations=_stations_near(member),
    )

    def write(data, _version):
        account = services.open_account(scheme=data["rule"].scheme, member=member)
        return services.declare(by=request.user, account=account, **data)

    if (
        submit_form(request, form, write, _("Declared. Your convener collects it next."))
        is not NOT_SAVED
    ):
        return redirect("my_points")
    return render(request, "points/declare.html", {"form": form})


def _stations_near(member: PartyMember):
    from stations.models import Station

    return Station.objects.filter(area__path__startswith=member.community.path).order_by("name")


@login_required
def redeclare(request, pk):
    item = item_or_404(request, pk)
    if item.created_by_id != request.user.pk:
        raise Http404
    form = RedeclareForm(
        request.POST or None, initial={"hours": item.hours, "description": item.description}
    )
    done = submit_form(
        request,
        form,
        lambda data, _v: services.redeclare(by=request.user, declaration=item, **data),
        _("Declared again."),
    )
    if done is not NOT_SAVED:
        return redirect("my_points")
    return render(request, "points/redeclare.html", {"form": form, "item": item})
