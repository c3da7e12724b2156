"""Page forms for working an exception: one per step, prefixed by its name, plus assign-to-me."""

from __future__ import annotations

from django import forms

from .workflow import Transition

NOTE_MAX_LENGTH = 4000


class ExceptionTransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, transition: Transition, **kwargs):
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, label_suffix="", **kwargs)
        self.transition = transition
        self.fields["note"] = forms.CharField(
            label="What was done, or why" if transition.note_required else "Note (optional)",
            required=transition.note_required,
            max_length=NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={"required": f"A note is required to {transition.name} an exception."},
        )

    def clean_note(self) -> str:
        note = (self.cleaned_data.get("note") or "").strip()
        if self.transition.note_required and not note:
            raise forms.ValidationError(f"A note is required to {self.transition.name} an exception.")
        return note


class AssignForm(forms.Form):
    """Take the item (assign to me) or put it back (unassign)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    take = forms.BooleanField(required=False, widget=forms.HiddenInput)
