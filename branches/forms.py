from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from branches.models import (
    Branch,
    CoBuildingUnit,
    PartyMember,
    ServicePost,
    ServiceRecord,
)
from grids.models import Area
from grids.roles import Level


class BranchForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    grids = forms.ModelMultipleChoiceField(
        label=_("Grids covered"),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One grid: built alone. Several neighbouring grids: built jointly."),
    )
    secretary = forms.ModelChoiceField(
        label=_("Secretary"), queryset=PartyMember.objects.none(), required=False
    )
    founded_on = forms.DateField(
        label=_("Founded on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, community: Area, branch: Branch | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this community's grids and members: another community's pk is refused.
        self.fields["grids"].queryset = Area.objects.under(community).grids()
        members = PartyMember.objects.filter(community=community, active=True)
        free = Q(branch__isnull=True) | Q(branch=branch) if branch else Q(branch__isnull=True)
        self.fields["secretary"].queryset = members.filter(free).order_by("name")
        if branch is not None and not self.is_bound:
            self.initial.update(
                code=branch.code,
                name=branch.name,
                secretary=branch.secretary_id,
                founded_on=branch.founded_on,
                grids=list(branch.coverage.values_list("grid_id", flat=True)),
            )
            self.fields["code"].disabled = True


class MemberForm(forms.ModelForm):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    class Meta:
        model = PartyMember
        fields = [
            "name",
            "phone",
            "kind",
            "work_unit",
            "branch",
            "party_group",
            "is_central_household",
            "active",
        ]

    create_account = forms.BooleanField(
        label=_("Create a sign-in account and send the activation code by SMS"),
        required=False,
        initial=True,
        help_text=_("Needs a mobile number. The member then declares points themselves."),
    )

    def __init__(self, *args, community: Area, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.user_id is not None:
            del self.fields["create_account"]  # has one: the member page shows its state
        elif self.instance.pk is not None:
            self.fields["create_account"].initial = False  # an edit sends nothing unasked
        self.fields["branch"].queryset = Branch.objects.filter(community=community)
        self.fields["party_group"].queryset = self.fields["party_group"].queryset.filter(
            branch__community=community
        )


class RegistrationForm(forms.Form):
    """双报到: what an in-service member (or staff for them) fills in."""

    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    work_unit = forms.CharField(label=_("Work unit"), max_length=100)
    posts = forms.MultipleChoiceField(
        label=_("Service posts you claim"),
        choices=ServicePost.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    # Bots fill every field; people never see this one.
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "tabindex": "-1", "class": "hp-field"}
        ),
        label=_("Leave this empty"),
    )


class DecisionForm(forms.Form):
    confirm = forms.TypedChoiceField(
        choices=[("1", _("Confirm")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(label=_("Reason for rejection"), required=False, max_length=500)


class ServiceForm(forms.ModelForm):
    class Meta:
        model = ServiceRecord
        fields = ["served_on", "post", "hours", "description"]
        widgets = {"served_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class LinkForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput)


class UnitForm(forms.ModelForm):
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=24, required=False)

    class Meta:
        model = CoBuildingUnit
        fields = [
            "name",
            "kind",
            "contact_name",
            "contact_phone",
            "agreement_signed_on",
            "agreement_ends_on",
            "commitments",
        ]
        widgets = {
            "agreement_signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "agreement_ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "commitments": forms.Textarea(attrs={"rows": 3}),
        }


class MeetingForm(forms.Form):
    held_on = forms.DateField(
        label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    title = forms.CharField(label=_("Title"), max_length=150)
    units = forms.ModelMultipleChoiceField(
        label=_("Units attending"),
        queryset=CoBuildingUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendees = forms.CharField(
        label=_("Other attendees"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    topics = forms.CharField(label=_("Topics"), widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(
        label=_("Decisions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One decision per line."),
    )

    def __init__(self, *args, community: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = CoBuildingUnit.objects.filter(community=community)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    leader = forms.ModelChoiceField(
        label=_("Group leader"), queryset=PartyMember.objects.none(), required=False
    )
    micro_grids = forms.ModelMultipleChoiceField(
        label=_("Micro-grids"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = branch.members.filter(active=True)
        paths = list(branch.coverage.values_list("grid__path", flat=True))
        micro = Area.objects.none()
        for path in paths:
            micro |= Area.objects.filter(path__startswith=path, level=Level.MICRO_GRID)
        self.fields["micro_grids"].queryset = micro.order_by("path")
