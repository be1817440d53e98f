from django import forms
from django.utils.translation import gettext_lazy as _


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

    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
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
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DecideForm(forms.Form):
    """The street's decision on a promotion proposal, always with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
