from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import MultipleFileField
from deliberation.models import OBJECTION_DAYS, Option, Project
from tickets.models import Matter
from tickets.public_forms import Honeypot, MobileField

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
OPTION_ROWS = 3


class PublicTopicForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=120)
    description = forms.CharField(
        label=_("What should the neighbours discuss, and why?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    phone = MobileField(
        label=_("Your mobile number"),
        help_text=_("Only the community sees it, to invite you to the meeting."),
    )
    website = Honeypot()

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class WorkerTopicForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=120)
    description = forms.CharField(
        label=_("What do residents want discussed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    name = forms.CharField(label=_("Residents' contact (optional)"), max_length=50, required=False)
    phone = MobileField(label=_("Contact's mobile number (optional)"), required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    place = forms.CharField(
        label=_("Place"),
        max_length=100,
        initial="“有事好商量”协商议事室",
        help_text=_("For example: “有事好商量”协商议事室, 红色议事厅, 击鼓议事堂"),
    )
    residents = forms.IntegerField(label=_("Residents"), min_value=0, initial=0)
    party_members = forms.IntegerField(label=_("Party members"), min_value=0, initial=0)
    property_company = forms.IntegerField(label=_("Property company"), min_value=0, initial=0)
    co_building_units = forms.IntegerField(label=_("Co-building units"), min_value=0, initial=0)
    participant_names = forms.CharField(
        label=_("Names (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    method = forms.ChoiceField(label=_("Vote"), choices=Option.Method.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(OPTION_ROWS):
            self.fields[f"option_{i}"] = forms.CharField(
                label=_("Option %(n)s") % {"n": i + 1}, max_length=200, required=i == 0
            )
            for key, label in (
                ("for", _("For")),
                ("against", _("Against")),
                ("abstain", _("Abstain")),
            ):
                self.fields[f"option_{i}_{key}"] = forms.IntegerField(
                    label=label, min_value=0, required=False
                )

    def option_rows(self):
        return [
            [self[f"option_{i}"], *(self[f"option_{i}_{k}"] for k in ("for", "against", "abstain"))]
            for i in range(OPTION_ROWS)
        ]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("option_")}
        data["options"] = [
            {
                "text": self.cleaned_data[f"option_{i}"],
                "votes_for": self.cleaned_data[f"option_{i}_for"] or 0,
                "votes_against": self.cleaned_data[f"option_{i}_against"] or 0,
                "abstain": self.cleaned_data[f"option_{i}_abstain"] or 0,
            }
            for i in range(OPTION_ROWS)
        ]
        return data


class DecisionForm(forms.Form):
    option = forms.ModelChoiceField(label=_("Chosen option"), queryset=Option.objects.none())
    text = forms.CharField(
        label=_("Decision (shown on the public notice)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    days = forms.IntegerField(
        label=_("Objection period (days)"), min_value=1, max_value=30, initial=OBJECTION_DAYS
    )

    def __init__(self, *args, topic, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].queryset = topic.options.all()


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Project (实事项目)"), max_length=120)
    budget = forms.DecimalField(label=_("Budget (yuan)"), min_value=0, max_digits=12)
    funding = forms.ChoiceField(label=_("Funding source"), choices=Project.Funding.choices)
    started_on = forms.DateField(label=_("Started on"), widget=DATE)


class RequestForm(forms.Form):
    matter = forms.ModelChoiceField(
        label=_("Kind of request"),
        queryset=Matter.objects.filter(active=True, category__active=True).order_by("code"),
    )


class ProgressForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(label=_("What was done"), max_length=300)
    photos = MultipleFileField(label=_("Photos (optional)"), required=False)


class CompleteForm(forms.Form):
    on = forms.DateField(label=_("Completed on"), widget=DATE)
    # Required by the service, which says why (a photo residents see before they rate).
    photos = MultipleFileField(
        label=_("Photos of the completed work"),
        required=False,
        help_text=_("At least one; they are shown on the public project page."),
    )


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    phone = MobileField(
        label=_("Your mobile number"),
        help_text=_("Only the community sees it, to answer you."),
    )
    website = Honeypot()

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=300, required=False)
    phone = MobileField(
        label=_("Your mobile number"),
        help_text=_("Not shown; one rating per number and project."),
    )
    website = Honeypot()

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))
