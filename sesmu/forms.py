"""Form plumbing shared by every app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import construct_instance


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses and checks fields: the model's clean()
    gives errors next to the fields, and the service does the saving and the
    checks that need the database (duplicates, with a clearer message)."""

    def validate_unique(self) -> None:
        return None

    def _post_clean(self) -> None:
        # As ModelForm's, but without the model's constraints: Django would
        # answer a duplicate document with "Customer with this Document type,
        # Issuing country and Document number already exists." at the top of
        # the form, and the service would never say, next to the field, which
        # customer has it. The service checks them; the database enforces them.
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields,
                                               self._meta.exclude)
        except ValidationError as error:
            self._update_errors(error)
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False,
                                     validate_constraints=False)
        except ValidationError as error:
            self._update_errors(error)

    def _update_errors(self, errors: ValidationError) -> None:
        # ModelForm swaps a model error's message for the form field's generic
        # one when their codes match ("required"): keep the model's words,
        # which say what to do. A field the form already found wrong keeps
        # that one error (an empty document is not also "Enter the document
        # number."), and an error on a field the form does not show goes at
        # the top instead of raising ValueError.
        if hasattr(errors, "error_dict"):
            error_dict = errors.error_dict
        else:
            error_dict = {NON_FIELD_ERRORS: errors.error_list}
        for field, items in error_dict.items():
            if field != NON_FIELD_ERRORS and field in self._errors:
                continue
            self.add_error(field if field in self.fields else None, items)


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
