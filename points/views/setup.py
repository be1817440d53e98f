"""Setting the points up without the admin (issue 20), each at its level and through the
same services as the admin: the community's rewards and their stock, the district's schemes
and their rules' versions, the street's red and black lists. Each object's page shows its
history (core.history)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import NOT_SAVED, submit_form
from core.history import history_for
from grids.access import area_or_404, community_or_404
from grids.models import Area
from grids.roles import Level
from grids.scope import can
from grids.views import breadcrumbs
from points import services
from points.forms import (
    HonourListForm,
    NewRewardForm,
    NewSchemeForm,
    ReviseRuleForm,
    RewardForm,
    RuleForm,
    SchemeForm,
    StockForm,
)
from points.models import HONOUR_LIST_LEVELS, HonourList, Reward, Rule, Scheme
from points.policy import PointsCapability

# --- Rewards and their stock (the community) ------------------------------------------------------


@login_required
def reward_catalogue(request, code):
    """All the community's rewards, retired ones too, and the form that adds one."""
    community = community_or_404(request.user, code, PointsCapability.MANAGE_REWARDS)
    form = NewRewardForm(request.POST or None, community=community)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.add_reward(by=request.user, community=community, **data),
            _("Reward added to the catalogue."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_reward", pk=saved.pk)
    rewards = (
        Reward.objects.filter(community=community)
        .select_related("scheme", "station")
        .annotate(handed_over=Count("redemptions"))
        .order_by("-active", "cost", "name")
    )
    return render(
        request,
        "points/reward_catalogue.html",
        {
            "area": community,
            "breadcrumbs": breadcrumbs(request, community),
            "rewards": rewards,
            "form": form,
        },
    )


def _reward_or_404(request, pk: int) -> Reward:
    reward = get_object_or_404(
        Reward.objects.visible_to(request.user).select_related("community", "scheme", "station"),
        pk=pk,
    )
    if not can(request.user, PointsCapability.MANAGE_REWARDS, reward.community):
        raise PermissionDenied
    return reward


def _reward_page(request, reward: Reward, form=None, stock_form=None):
    return render(
        request,
        "points/reward_detail.html",
        {
            "area": reward.community,
            "breadcrumbs": breadcrumbs(request, reward.community),
            "reward": reward,
            "form": form or RewardForm(instance=reward, community=reward.community),
            "stock_form": stock_form or StockForm(),
            "changes": reward.stock_changes.select_related("by")[:20],
            "handed_over": reward.redemptions.count(),
            "history": history_for(reward),
        },
    )


@login_required
def reward_detail(request, pk):
    """One reward: its settings (retire it by taking it off offer), its stock and history."""
    reward = _reward_or_404(request, pk)
    if request.method != "POST":
        return _reward_page(request, reward)
    form = RewardForm(request.POST, instance=reward, community=reward.community)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.save_reward(by=request.user, reward=form.instance),
        _("Reward saved."),
    )
    if saved is not NOT_SAVED:
        return redirect("points_reward", pk=reward.pk)
    # Nothing was saved: show the stored reward beside the refused form.
    return _reward_page(request, _reward_or_404(request, pk), form=form)


@login_required
@require_POST
def reward_stock(request, pk):
    """Add stock (or take some off) with a note; never below what is left to hand over."""
    reward = _reward_or_404(request, pk)
    form = StockForm(request.POST)
    saved = submit_form(
        request,
        form,
        lambda data, _v: services.adjust_stock(by=request.user, reward=reward, **data),
        _("Stock updated."),
    )
    if saved is not NOT_SAVED:
        return redirect("points_reward", pk=reward.pk)
    return _reward_page(request, reward, stock_form=form)


# --- Schemes and their rules' versions (the district) ---------------------------------------------


def _district_of(request) -> Area | None:
    return Area.objects.visible_to(request.user).filter(depth=1).order_by("path").first()


def _district_staff(request) -> None:
    if not services.at_district(request.user, PointsCapability.MANAGE_SCHEMES):
        raise PermissionDenied


@login_required
def scheme_list(request, code):
    """The district's schemes, from the district's page."""
    district = area_or_404(
        request.user, code, PointsCapability.MANAGE_SCHEMES, levels=(Level.DISTRICT,)
    )
    form = NewSchemeForm(request.POST or None)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.add_scheme(by=request.user, **data),
            _("Scheme added: now add its rules."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_scheme", pk=saved.pk)
    schemes = Scheme.objects.annotate(
        n_rules=Count("rules", filter=Q(rules__superseded_at__isnull=True))
    ).order_by("code")
    return render(
        request,
        "points/scheme_list.html",
        {
            "area": district,
            "breadcrumbs": breadcrumbs(request, district),
            "schemes": schemes,
            "form": form,
        },
    )


def _shown(rule: Rule, name: str) -> str:
    value = getattr(rule, name)
    if name in ("unit", "verifier"):
        return getattr(rule, f"get_{name}_display")()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def rule_histories(scheme: Scheme) -> list[dict]:
    """The scheme's rules, each with its versions newest first and what each changed (one
    query for all of them)."""
    by_code: dict[str, list[Rule]] = {}
    for rule in scheme.rules.select_related("created_by").order_by("code", "version"):
        by_code.setdefault(rule.code, []).append(rule)
    labels = {name: Rule._meta.get_field(name).verbose_name for name in Rule.REVISABLE}
    result = []
    for code, versions in by_code.items():
        rows = []
        for before, rule in zip([None, *versions], versions, strict=False):
            changes = (
                [
                    (labels[name], _shown(before, name), _shown(rule, name))
                    for name in Rule.REVISABLE
                    if getattr(before, name) != getattr(rule, name)
                ]
                if before is not None
                else []
            )
            rows.append({"rule": rule, "changes": changes})
        current = versions[-1]
        result.append({"code": code, "current": current, "versions": list(reversed(rows))})
    return result


@login_required
def scheme_detail(request, pk):
    """A scheme's settings, its rules and each rule's versions (who, when, old → new)."""
    _district_staff(request)
    scheme = get_object_or_404(Scheme, pk=pk)
    form = SchemeForm(request.POST or None, instance=scheme)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.save_scheme(by=request.user, scheme=form.instance),
            _("Scheme saved."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_scheme", pk=scheme.pk)
        scheme = get_object_or_404(Scheme, pk=pk)
    return render(
        request,
        "points/scheme_detail.html",
        {
            "scheme": scheme,
            "district": Area.objects.visible_to(request.user)
            .filter(depth=1)
            .order_by("path")
            .first(),
            "form": form,
            "rules": rule_histories(scheme),
            "history": history_for(scheme),
        },
    )


@login_required
def rule_new(request, pk):
    _district_staff(request)
    scheme = get_object_or_404(Scheme, pk=pk)
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.add_rule(by=request.user, scheme=scheme, **data),
            _("Rule added (version 1)."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_scheme", pk=scheme.pk)
    return render(request, "points/rule_form.html", {"scheme": scheme, "form": form, "rule": None})


@login_required
def rule_revise(request, pk):
    """A new version of the rule in force; the versions before stay as they were."""
    _district_staff(request)
    rule = get_object_or_404(
        Rule.objects.select_related("scheme"), pk=pk, superseded_at__isnull=True
    )
    initial = model_to_dict(rule, fields=Rule.REVISABLE)
    form = ReviseRuleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.revise_rule(
                rule=rule, by=request.user, **{name: data[name] for name in form.changed_data}
            ),
            _("Rule revised: a new version is in force."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_scheme", pk=rule.scheme_id)
    return render(
        request, "points/rule_form.html", {"scheme": rule.scheme, "form": form, "rule": rule}
    )


# --- Red and black lists set up (the street; the district's district-wide ones) ----------------


def _lists_at(area: Area):
    """The lists set up at ``area``: a street's own, or at the district the district-wide."""
    if area.level == Level.DISTRICT:
        return HonourList.objects.filter(area__isnull=True)
    return HonourList.objects.filter(area=area)


@login_required
def honour_lists(request, code):
    area = area_or_404(
        request.user,
        code,
        PointsCapability.SET_UP_HONOUR_LISTS,
        levels=(Level.DISTRICT, *HONOUR_LIST_LEVELS),
    )
    form = HonourListForm(request.POST or None)
    if request.method == "POST":
        form.instance.area = None if area.level == Level.DISTRICT else area
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.save_honour_list(by=request.user, honour_list=form.instance),
            _("List set up: publish it on the red and black lists page once a period ends."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_honour_lists", code=area.code)
    inherited = (
        HonourList.objects.filter(area__isnull=True).select_related("scheme")
        if area.level != Level.DISTRICT
        else HonourList.objects.none()
    )
    return render(
        request,
        "points/honour_lists.html",
        {
            "area": area,
            "breadcrumbs": breadcrumbs(request, area),
            "lists": _lists_at(area).select_related("scheme").order_by("-active", "pk"),
            "inherited": inherited,
            "form": form,
        },
    )


@login_required
def honour_list_detail(request, pk):
    """Change or deactivate a list; published periods stay frozen whatever changes here."""
    honour_list = get_object_or_404(HonourList.objects.select_related("area", "scheme"), pk=pk)
    if honour_list.area is None:
        if not services.at_district(request.user, PointsCapability.SET_UP_HONOUR_LISTS):
            raise PermissionDenied
        home = _district_of(request)
    else:
        if not HonourList.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404
        if not can(request.user, PointsCapability.SET_UP_HONOUR_LISTS, honour_list.area):
            raise PermissionDenied
        home = honour_list.area
    form = HonourListForm(request.POST or None, instance=honour_list)
    if request.method == "POST":
        saved = submit_form(
            request,
            form,
            lambda data, _v: services.save_honour_list(by=request.user, honour_list=form.instance),
            _("List saved."),
        )
        if saved is not NOT_SAVED:
            return redirect("points_honour_list", pk=honour_list.pk)
    return render(
        request,
        "points/honour_list_detail.html",
        {
            "honour_list": honour_list,
            "home": home,
            "form": form,
            "published": honour_list.published.select_related("area").order_by("-period")[:20],
            "history": history_for(honour_list),
        },
    )
