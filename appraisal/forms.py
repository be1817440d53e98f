import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisal.ladder import Track
from appraisal.models import Figure, next_month


class ScoreForm(forms.Form):
    """An officer's score of one manual item of a draft card."""

    item = forms.ChoiceField(label=_("Item"))
    score = forms.DecimalField(label=_("Score"), min_value=0, max_digits=5, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.code, f"{i.name} (/{i.weight})") for i in items]


class CorrectForm(ScoreForm):
    """A published card's correction: a manual item's new score, and why."""

    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)


class TalkForm(forms.Form):
    """A talk with a worker flagged among the lowest of a month (末位约谈)."""

    held_on = forms.DateField(
        label=_("Date of the talk"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    notes = forms.CharField(
        label=_("What was discussed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    actions = forms.CharField(
        label=_("Agreed improvement actions"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DecideForm(forms.Form):
    """The street's decision on a promotion proposal, always with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class SetGradeForm(forms.Form):
    """An officer places a worker on a grade by hand: the active grades grouped by track, the
    worker's own track first."""

    grade = forms.TypedChoiceField(label=_("Grade"), coerce=int)
    since = forms.DateField(
        label=_("Since"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, grades=(), track: str = Track.FULL_TIME, **kwargs):
        super().__init__(*args, **kwargs)
        self.grades = {g.pk: g for g in grades}
        groups: dict[str, list] = {}
        for g in grades:
            groups.setdefault(g.track, []).append((g.pk, g.name))
        order = [track, *(t for t in Track.values if t != track)]
        self.fields["grade"].choices = [
            ("", "---------"),
            *((Track(t).label, groups[t]) for t in order if t in groups),
        ]

    def clean_grade(self):
        return self.grades[self.cleaned_data["grade"]]


def _months(earliest: dt.date, count: int = 13) -> list[tuple[str, str]]:
    months, month = [], earliest
    for _i in range(count):
        months.append((month.isoformat(), f"{month:%Y-%m}"))
        month = next_month(month)
    return months


class SchemeItemForm(forms.Form):
    """A new version of one item of the district's scheme, or a new item (a new code)."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("An existing item's code makes its next version; a new code adds an item."),
    )
    valid_from = forms.TypedChoiceField(
        label=_("In force from (month)"), coerce=dt.date.fromisoformat
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    figure = forms.ChoiceField(label=_("Figure"), choices=Figure.choices)
    weight = forms.IntegerField(
        label=_("Weight (points)"),
        min_value=0,
        max_value=100,
        help_text=_("0 retires the item from that month on."),
    )
    full_marks_at = forms.DecimalField(
        label=_("Full marks at"),
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        help_text=_(
            "The figure that earns the whole weight; below it the score is proportional "
            "(a share: 0.9 is 90 %). Ignored for items scored by an officer."
        ),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999)

    def __init__(self, *args, earliest: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].choices = _months(earliest)
