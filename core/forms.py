from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError

from core.concurrency import ConcurrentEdit

# What submit_form returns when nothing was saved (None may be a legitimate result).
NOT_SAVED = object()


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def submit_form(request, form, write, success: str):
    """Hand a valid POSTed form to a service write; a refusal lands on the form.

    ``write(data, version)`` gets the cleaned data without ``version`` and the version the
    user started from. Returns what it returned, or ``NOT_SAVED``.
    """
    if request.method != "POST" or not form.is_valid():
        return NOT_SAVED
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    try:
        result = write(data, form.cleaned_data.get("version"))
    except ConcurrentEdit as error:
        form.add_error(None, error.message)
        return NOT_SAVED
    except ValidationError as error:
        apply_errors(form, error)
        return NOT_SAVED
    messages.success(request, success)
    return result


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos from one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []
