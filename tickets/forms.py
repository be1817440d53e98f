from __future__ import annotations

import hashlib

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.forms import MultipleFileField
from grids.roles import Role
from tickets.models import (
    ApiClient,
    Category,
    Channel,
    Department,
    Matter,
    Status,
)


class MatterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.category.name} · {obj.name}"


class BoardFilterForm(forms.Form):
    VIEWS = [
        ("new", _("New")),
        ("unassigned", _("Unassigned")),
        ("overdue", _("Overdue")),
        ("review", _("Awaiting the resident's review")),
        ("escalated", _("Escalated to me")),
        ("open", _("All open")),
        ("all", _("All")),
    ]
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False, initial="new")
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Code, description or address")}
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(active=True), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Status.choices]
    )
    grid = forms.CharField(label=_("Grid code"), required=False, max_length=32)
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"].strip()
        if len(q) == 1:
            # One character is in most requests, and no index can answer it (tickets.search):
            # a scan of the district's two million for a list nobody reads.
            raise forms.ValidationError(_("Type at least two characters to search."))
        return q


class StaffTicketForm(forms.Form):
    """A request entered by staff (phone, walk-in) or reported by a worker in the field."""

    matter = MatterChoiceField(
        label=_("Matter"), queryset=Matter.objects.filter(active=True).select_related("category")
    )
    description = forms.CharField(
        label=_("What is the problem?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Location"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Resident's mobile number"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    photos = MultipleFileField(label=_("Photos (up to 3)"), required=False)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, channels=(Channel.FIELD, Channel.STAFF), **kwargs):
        super().__init__(*args, **kwargs)
        if len(channels) > 1:
            self.fields["channel"] = forms.ChoiceField(
                label=_("Received by"), choices=[(c, Channel(c).label) for c in channels]
            )


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


DEPARTMENT_PREFIX = "department-"


def role_label(role: str) -> str:
    """A candidate's role as the picker names it: their post, or party member (党员)."""
    if role in Role.values:
        return str(Role(role).label)
    return str(_("Party member"))


def person_label(person, *, place: bool = False) -> str:
    """Who, in what role, (where, when the list spans several grids) and how much they already
    hold: what a dispatcher weighs."""
    role = role_label(person.role)
    if place and person.post_area:
        role = f"{role}, {person.post_area}"
    return _("%(name)s · %(role)s · %(load)s") % {
        "name": person,
        "role": role,
        "load": open_load(person.load),
    }


def department_label(department) -> str:
    return _("%(name)s · %(role)s · %(load)s") % {
        "name": department.name,
        "role": _("Department"),
        "load": open_load(department.load),
    }


def open_load(n: int) -> str:
    return ngettext("%(n)s open request", "%(n)s open requests", n) % {"n": n}


def handler_choices(people, departments, *, place: bool = False) -> list:
    """The picker's options: people (each with role, load and, for a list that spans several
    grids, ``place``), then departments."""
    choices = [("", "—")]
    if people:
        choices.append((_("People"), [(str(p.pk), person_label(p, place=place)) for p in people]))
    if departments:
        choices.append(
            (
                _("Departments"),
                [(f"{DEPARTMENT_PREFIX}{d.pk}", department_label(d)) for d in departments],
            )
        )
    return choices


class AssignForm(forms.Form):
    """派单: whom first (a person or a department, shown with role and load), then a note.

    ``people`` and ``departments`` are the candidates, already read (services.assignable_people
    and services.assignable_departments): the form makes no query of its own. The cleaned data
    holds ``assignee`` (a person or None) and ``department`` (a department or None).
    """

    assignee = forms.ChoiceField(label=_("Assign to"))
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, people=(), departments=(), place=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.departments = {f"{DEPARTMENT_PREFIX}{d.pk}": d for d in departments}
        self.fields["assignee"].choices = handler_choices(people, departments, place=place)

    def clean(self):
        data = super().clean()
        chosen = data.get("assignee")
        data["assignee"] = self.people.get(chosen) if chosen else None
        data["department"] = self.departments.get(chosen) if chosen else None
        return data


class ResolveForm(ActionForm):
    photos = MultipleFileField(label=_("Photos of the result"), required=False)


class MergeForm(ActionForm):
    into = forms.CharField(label=_("Code of the request it duplicates"), max_length=8)


class EscalateForm(ActionForm):
    department = forms.ModelChoiceField(
        label=_("To a department (otherwise the next level up)"),
        queryset=Department.objects.filter(active=True),
        required=False,
    )


class SummonForm(forms.Form):
    """吹哨 to several departments: one lead, co-handlers, optional limits, a reason."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    lead = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.filter(active=True)
    )
    co = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    acknowledge_hours = forms.IntegerField(
        label=_("Acknowledge (报到) within, hours"),
        help_text=_("Empty: the catalogue's response limit."),
        required=False,
        min_value=1,
    )
    completion_hours = forms.IntegerField(
        label=_("Part done within, hours"),
        help_text=_("Empty: the catalogue's completion limit."),
        required=False,
        min_value=1,
    )
    reason = forms.CharField(
        label=_("Why the departments are summoned"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:  # read once by the page, for both fields
            self.fields["lead"].queryset = departments
            self.fields["co"].queryset = departments


class PartForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    report = forms.CharField(
        label=_("What your department did"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photos = MultipleFileField(label=_("Photos"), required=False)


class OverrideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the missing parts are not waited for"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    result = forms.CharField(
        label=_("Resolve it now: what was done (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionTicketForm(forms.Form):
    """A joint meeting's decision filed as a request of the community (or one of its grids)."""

    matter = MatterChoiceField(
        label=_("Matter"), queryset=Matter.objects.filter(active=True).select_related("category")
    )
    grid = forms.ModelChoiceField(
        label=_("Grid (otherwise the community)"), queryset=None, required=False
    )
    description = forms.CharField(
        label=_("What is to be done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        from grids.models import Area

        self.fields["grid"].queryset = Area.objects.under(community).grids()


class CalendarDaysForm(forms.Form):
    """One day, or a range (a holiday week, 春节), for the working-day calendar."""

    KINDS = [("holiday", _("Public holiday")), ("workday", _("Adjusted working day (调休)"))]

    start = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("Until (for a range)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS)
    note = forms.CharField(
        label=_("Note"), max_length=50, required=False, help_text=_("For example 春节 or 春节调休.")
    )


# --- The catalogue and the API clients (tickets/catalogue_pages.py, tickets/api_clients.py) ---


class _VersionedForm(forms.ModelForm):
    """Carries the version the form was shown with (core.concurrency); a code is permanent."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            if "code" in self.fields:
                self.fields["code"].disabled = True
                self.fields["code"].help_text = _("Permanent: other systems refer to it.")


class MatterForm(_VersionedForm):
    class Meta:
        model = Matter
        fields = [
            "code",
            "name_zh",
            "name_en",
            "category",
            "owner_level",
            "department",
            "response_limit",
            "response_unit",
            "completion_limit",
            "completion_unit",
            "escalate_after_hours",
            "photo_required",
            "earns_points",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance
        self.fields["category"].queryset = Category.objects.filter(
            models.Q(active=True) | models.Q(pk=current.category_id)
        )
        self.fields["department"].queryset = Department.objects.filter(
            models.Q(active=True) | models.Q(pk=current.department_id)
        )
        self.fields["department"].help_text = _(
            "Required when a department owns the matter; otherwise the department a street "
            "escalates it to."
        )


class DepartmentForm(_VersionedForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("They acknowledge (报到) and handle the requests sent to the department."),
    )

    class Meta:
        model = Department
        fields = ["code", "name_zh", "name_en"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.order_by("username")
        current = list(self.instance.members.all()) if self.instance.pk else []
        self.fields["members"].queryset = users.filter(
            models.Q(is_active=True) | models.Q(pk__in=[u.pk for u in current])
        )
        self.fields["members"].initial = current


class ApiClientCallbackForm(forms.Form):
    """Where the client's status changes are sent (tickets/callbacks.py); empty stops them."""

    callback_url = forms.URLField(
        label=_("Callback URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Each public status change of the requests this system filed is sent here, "
            "signed. Leave empty to send none."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, client: ApiClient, **kwargs):
        kwargs.setdefault(
            "initial", {"callback_url": client.callback_url, "version": client.version}
        )
        super().__init__(*args, **kwargs)


class ApiClientForm(_VersionedForm):
    class Meta:
        model = ApiClient
        fields = ["name", "area"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        if not self.instance.pk:
            # Most clients (the 12345 hotline, a district sensor platform) file for the whole
            # district: offer the widest area the officer keeps clients for.
            self.fields["area"].initial = areas.order_by("depth", "path").first()


# --- The ticket page's forms, rendered once -------------------------------------------------

FORM_HTML_SECONDS = 3600


def rendered_fields(form: forms.Form, *, choices: list | None = None) -> str:
    """``form|crispy`` without its ``version`` (the template writes that one from the ticket
    or summons), kept in the cache: the page's escalate, merge, summon, part and override forms
    are the same for every request of a language and a list of departments, and rendering
    them through crispy's templates cost more than the rest of the page. ``choices``: what
    the form's fields offer (the departments), part of the key."""
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
    from django.core.cache import cache
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    form.fields.pop("version", None)
    signature = hashlib.sha1(repr(choices).encode(), usedforsecurity=False).hexdigest()[:16]
    key = f"tickets:form-html:{type(form).__name__}:{get_language()}:{signature}"
    html = cache.get(key)
    if html is None:
        html = str(as_crispy_form(form))
        cache.set(key, html, FORM_HTML_SECONDS)
    return mark_safe(html)  # rendered by crispy from the form, escaped there
