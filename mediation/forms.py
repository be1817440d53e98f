from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Household, Post
from grids.roles import Role
from mediation.models import DisputeType, Outcome, Party, Risk, Status, Step, Studio

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class CaseForm(forms.Form):
    type = forms.ChoiceField(label=_("Type of dispute"), choices=DisputeType.choices)
    risk = forms.ChoiceField(label=_("Risk level"), choices=Risk.choices, initial=Risk.LOW)
    summary = forms.CharField(
        label=_("What the dispute is about"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    household = forms.ModelChoiceField(
        label=_("Household (if the dispute is at one)"),
        queryset=Household.objects.none(),
        required=False,
    )
    mediator = forms.ModelChoiceField(
        label=_("Mediator (grid worker or 调解员)"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Leave empty to mediate yourself."),
    )
    studio = forms.ModelChoiceField(
        label=_("Mediation studio (调解工作室)"), queryset=Studio.objects.none(), required=False
    )
    applicant_name = forms.CharField(label=_("Applicant's name"), max_length=100)
    applicant_phone = forms.CharField(label=_("Applicant's mobile"), max_length=20, required=False)
    respondent_name = forms.CharField(label=_("Respondent's name"), max_length=100, required=False)
    respondent_phone = forms.CharField(
        label=_("Respondent's mobile"), max_length=20, required=False
    )

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.filter(grid=grid).order_by("address")
        self.fields["household"].label_from_instance = lambda h: h.address
        team = Post.objects.active().filter(
            area__path__in=[grid.path[:n] for n in range(4, len(grid.path) + 1, 4)],
            role__in=(Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.STREET_STAFF),
        )
        self.fields["mediator"].queryset = (
            get_user_model().objects.filter(posts__in=team).distinct().order_by("username")
        )
        self.fields["mediator"].label_from_instance = lambda u: u.display_name or u.username
        studios = Studio.objects.filter(active=True)
        self.fields["studio"].queryset = studios.filter(
            area__path__in=[grid.path[:n] for n in range(4, len(grid.path) + 1, 4)]
        )


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Party.Role.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)


class StepForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    kind = forms.ChoiceField(label=_("Kind"), choices=Step.Kind.choices)
    notes = forms.CharField(
        label=_("What was done and said"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CloseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    agreement_text = forms.CharField(
        label=_("Text of the agreement"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    signed_copy = forms.ImageField(
        label=_("Photo of the signed agreement"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    referred_to = forms.CharField(
        label=_("Referred to (court, police station)"), max_length=200, required=False
    )


class RiskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    risk = forms.ChoiceField(
        label=_("Risk level"),
        choices=Risk.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class FollowUpForm(forms.Form):
    people_met = forms.CharField(label=_("People met"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("How things stand now"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


SELECT = forms.Select(attrs={"class": "form-select"})


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Status.choices],
        required=False,
        widget=SELECT,
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Any type")), *DisputeType.choices],
        required=False,
        widget=SELECT,
    )
    risk = forms.ChoiceField(
        label=_("Risk"), choices=[("", _("Any risk")), *Risk.choices], required=False, widget=SELECT
    )
