"""Form plumbing shared by every app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses and checks fields: the model's clean()
    gives errors next to the fields, and the service does the saving and the
    checks that need the database (duplicates, with a clearer message)."""

    def validate_unique(self) -> None:
        return None

    def _update_errors(self, errors: ValidationError) -> None:
        # ModelForm swaps a model error's message for the form field's generic
        # one when their codes match ("required"): keep the model's words,
        # which say what to do.
        self.add_error(None, errors)


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field when the
    form has it, at the top otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, items in error.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        for item in items:
            form.add_error(target, item)
