"""Forms of the HR console's rewards list and its decisions: they validate and convert, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rewards.models import RewardSuggestion


class RewardFilterForm(forms.Form):
    """The rewards page's filters; only closed periods can be picked (others hold no final rewards)."""

    period = forms.ChoiceField(label=_("Period"), required=False)
    code = forms.ChoiceField(label=_("Reward"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("all statuses")), *RewardSuggestion.Status.choices]
    )

    def __init__(self, *args, periods: list[str], rewards: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", _("all closed periods")), *((code, code) for code in periods)]
        self.fields["code"].choices = [("", _("all rewards")), *rewards.items()]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (an invalid one is ignored and shown as an error)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class IdListField(forms.Field):
    """Several ids from checkboxes of the same name, converted to a list of ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Pick rewards from the list."), code="invalid") from None


class RewardDecisionForm(forms.Form):
    """Approve or reject the ticked rewards, or one row's reward (its button sends ``row=<id>:<decision>``),
    or take decisions back (``row=<id>:undo``, or ``decision=undo``). A rejection carries the reason the
    employee will see; a decision on several rewards is confirmed (``confirm``) after HR saw what it changes."""

    UNDO = "undo"
    DECISIONS = [
        (RewardSuggestion.Status.APPROVED, _("approve")),
        (RewardSuggestion.Status.REJECTED, _("reject")),
        (UNDO, _("undo the decision")),
    ]

    ids = IdListField(required=False)
    decision = forms.ChoiceField(choices=DECISIONS, required=False)
    row = forms.RegexField(regex=r"^\d+:(approved|rejected|undo)$", required=False)
    reason = forms.CharField(
        label=_("Reason the employee will see"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("row"):
            pk, decision = data["row"].split(":")
            data["ids"], data["decision"] = [int(pk)], decision
        elif not data.get("decision"):
            raise forms.ValidationError(_("Choose approve or reject."), code="no_decision")
        elif not data.get("ids"):
            raise forms.ValidationError(_("Tick at least one reward."), code="no_ids")
        data["reason"] = (data.get("reason") or "").strip()
        return data

    @property
    def needs_confirmation(self) -> bool:
        """A rejection without its reason, or a decision on more than one reward, is shown first."""
        data = self.cleaned_data
        if data["decision"] == self.UNDO:
            return False
        if data["decision"] == RewardSuggestion.Status.REJECTED and not data["reason"]:
            return True
        return len(data["ids"]) > 1 and not data.get("confirm")
