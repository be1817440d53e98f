from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from grids.models import Resident
from points.models import Account, HonourList, Reward, Rule, Scheme
from stations.models import Station


class DeclarationForm(forms.Form):
    """党员申报 from a phone: the client_id is made when the form opens, so a form sent twice
    (a retry on a poor connection) is one declaration."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    rule = forms.ModelChoiceField(Rule.objects.none(), label=_("Kind of service"))
    served_on = forms.DateField(
        label=_("Date of the service"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        required=False,
        min_value=0.5,
        max_value=24,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text=_("For kinds counted per hour."),
    )
    station = forms.ModelChoiceField(
        queryset=None, label=_("Station"), required=False, empty_label=_("— none —")
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    description = forms.CharField(
        label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleFileField(label=_("Photos"), required=False, help_text=_("Up to 3."))

    def __init__(self, *args, rules, stations, **kwargs):
        kwargs.setdefault("initial", {"client_id": uuid.uuid4(), "served_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules
        self.fields["rule"].label_from_instance = _rule_label
        self.fields["station"].queryset = stations


def _rule_label(rule: Rule) -> str:
    if rule.unit == Rule.Unit.HOUR:
        return _("%(name)s (%(points)s points an hour)") % {
            "name": rule.name,
            "points": rule.points,
        }
    return _("%(name)s (%(points)s points)") % {"name": rule.name, "points": rule.points}


class RedeclareForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"), required=False, min_value=0.5, max_value=24, decimal_places=1
    )
    description = forms.CharField(
        label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with it"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConductForm(forms.Form):
    """文明积分: staff record a resident's good conduct."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    resident = forms.ModelChoiceField(Resident.objects.none(), label=_("Resident"))
    rule = forms.ModelChoiceField(Rule.objects.none(), label=_("Conduct"))
    served_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(
        label=_("Hours"), required=False, min_value=0.5, max_value=24, decimal_places=1
    )
    description = forms.CharField(
        label=_("What was done"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultipleFileField(label=_("Photos"), required=False, help_text=_("Up to 3."))

    def __init__(self, *args, residents, rules, **kwargs):
        kwargs.setdefault("initial", {"client_id": uuid.uuid4(), "served_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        self.fields["resident"].label_from_instance = lambda r: f"{r.name} · {r.household.address}"
        self.fields["rule"].queryset = rules
        self.fields["rule"].label_from_instance = _rule_label


class RedeemForm(forms.Form):
    """积分兑奖励 at a station: staff confirm what a person collects."""

    key = forms.UUIDField(widget=forms.HiddenInput)
    account = forms.ModelChoiceField(Account.objects.none(), label=_("Who collects"))
    reward = forms.ModelChoiceField(Reward.objects.none(), label=_("Reward"))

    def __init__(self, *args, accounts, rewards, **kwargs):
        kwargs.setdefault("initial", {"key": uuid.uuid4()})
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda a: (
            _("%(holder)s · %(scheme)s · %(balance)s points")
            % {"holder": a.holder, "scheme": a.scheme, "balance": a.balance}
        )
        self.fields["reward"].queryset = rewards
        self.fields["reward"].label_from_instance = lambda r: (
            _("%(name)s · %(cost)s points · %(stock)s left")
            % {"name": r.name, "cost": r.cost, "stock": r.stock}
        )


# --- Configuration pages (issue 20) ---------------------------------------------------------------


class RewardForm(forms.ModelForm):
    """A reward of the community's catalogue; the stock moves by ``StockForm``."""

    class Meta:
        model = Reward
        fields = ["name", "scheme", "cost", "station", "active"]
        labels = {"active": _("On offer (untick to retire the reward)")}

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.filter(active=True)
        self.fields["station"].queryset = Station.objects.under(community).order_by("name")


class NewRewardForm(RewardForm):
    stock = forms.IntegerField(label=_("Items in stock to begin with"), min_value=0, initial=0)

    class Meta(RewardForm.Meta):
        fields = ["name", "scheme", "cost", "station"]


class StockForm(forms.Form):
    change = forms.IntegerField(
        label=_("Items added (a minus sign takes items off)"),
        min_value=-9999,
        max_value=9999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        help_text=_("Where the items came from, or why they were taken off."),
    )


class SchemeForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = ["name_zh", "name_en", "publicity_days", "expiry_months", "active"]


class NewSchemeForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = ["code", "name_zh", "name_en", "audience", "publicity_days", "expiry_months"]


class RuleForm(forms.ModelForm):
    """A new rule of a scheme (its version 1)."""

    class Meta:
        model = Rule
        fields = ["code", *Rule.REVISABLE]


class ReviseRuleForm(forms.ModelForm):
    """What a revision may change; saved as a new version by ``services.revise_rule``."""

    class Meta:
        model = Rule
        fields = list(Rule.REVISABLE)


class HonourListForm(forms.ModelForm):
    class Meta:
        model = HonourList
        fields = ["name_zh", "name_en", "scheme", "unit", "measure", "size", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.filter(active=True)
