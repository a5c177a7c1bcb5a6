"""HR console: policy versions (/hr/policy/): the list, a version's detail, a copy or an in-place
edit of its figures with a preview against a closed period, deletion, and a saved version's preview.

Every view is an ``hr_view`` (logged in, HR only); the services (``appraisals.policy``) do the work
and their refusals (``PolicyRefused``) are shown to HR as they are. A version some period used is
locked: it is copied, never edited."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from appraisals.models import PolicyVersion
from appraisals.policy import (
    PolicyRefused,
    first_free_month,
    policy_preview,
    policy_version_copy,
    policy_version_delete,
    policy_version_in_use,
    policy_version_update,
    policy_versions,
)
from pages.forms.hr_policies import PolicyEditor, PreviewPeriodForm
from pages.selectors.hr_policies import get_version_for_hr, version_bands, version_kpis, version_reward_rules
from pages.views.decorators import hr_view


@hr_view("GET")
def policies(request):
    return render(request, "hr/policies.html", {"hr_section": "policy", "rows": policy_versions()})


@hr_view("GET")
def policy_detail(request, pk: int):
    version = get_version_for_hr(pk)
    rules = version_reward_rules(version)
    return render(
        request,
        "hr/policy_detail.html",
        {
            "hr_section": "policy",
            "version": version,
            "in_use": policy_version_in_use(version),
            "kpis": version_kpis(version),
            "bands": version_bands(version),
            "rules": rules,
            "preview_form": PreviewPeriodForm(),
        },
    )


@hr_view("GET", "POST")
def policy_new(request, pk: int):
    """Edit a copy of a version: a new version with the edited figures; "Preview" scores the
    figures against a closed period without saving anything."""
    source = get_version_for_hr(pk)
    initial = {"name": _("%(name)s (copy)") % {"name": source.name}, "effective_from": first_free_month()}
    editor = PolicyEditor(source, request.POST or None, initial=initial)

    def save(**fields) -> PolicyVersion:
        return policy_version_copy(source=source, user=request.user, **fields)

    return _policy_editor_page(request, editor, source=source, version=None, save=save)


@hr_view("GET", "POST")
def policy_edit(request, pk: int):
    """Edit a version nothing used yet, in place; a locked one is read-only (edit a copy instead)."""
    version = get_version_for_hr(pk)
    if policy_version_in_use(version):
        messages.error(request, _("This version is in use and locked; edit a copy instead."))
        return redirect("hr:policy_detail", pk=version.pk)
    initial = {"name": version.name, "effective_from": version.effective_from}
    editor = PolicyEditor(version, request.POST or None, version=version, initial=initial)

    def save(**fields) -> PolicyVersion:
        return policy_version_update(version=version, user=request.user, **fields)

    return _policy_editor_page(request, editor, source=version, version=version, save=save)


def _policy_editor_page(
    request, editor: PolicyEditor, *, source: PolicyVersion, version: PolicyVersion | None, save
) -> HttpResponse:
    """The editor of ``source`` (``version`` is the one edited in place, None for a new copy): "Preview"
    scores the figures without saving; otherwise ``save(name=, effective_from=, figures=)`` stores them
    and returns the version to show, or raises ``PolicyRefused``, shown on the form."""
    preview = None
    if request.method == "POST" and editor.is_valid():
        if "preview" in request.POST:
            preview = _editor_preview(request, editor, source)
        else:
            try:
                saved = save(
                    name=editor.form.cleaned_data["name"],
                    effective_from=editor.form.cleaned_data["effective_from"],
                    figures=editor.figures(),
                )
            except PolicyRefused as exc:
                editor.form.add_error(None, str(exc))
            else:
                messages.success(request, _("Policy version “%(name)s” saved.") % {"name": saved.name})
                return redirect("hr:policy_detail", pk=saved.pk)
    return render(
        request,
        "hr/policy_edit.html",
        {"hr_section": "policy", "editor": editor, "source": source, "version": version, "preview": preview},
    )


def _editor_preview(request, editor: PolicyEditor, source: PolicyVersion):
    period = editor.preview.chosen()
    if period is None:
        messages.warning(request, _("No period is closed yet: there is nothing to preview against."))
        return None
    return policy_preview(version=source, period=period, figures=editor.figures())


@hr_view("POST")
def policy_delete(request, pk: int):
    version = get_version_for_hr(pk)
    try:
        policy_version_delete(version=version)
    except PolicyRefused as exc:
        messages.error(request, str(exc))
        return redirect("hr:policy_detail", pk=version.pk)
    messages.success(request, _("Policy version “%(name)s” deleted.") % {"name": version.name})
    return redirect("hr:policies")


@hr_view("GET")
def policy_preview_page(request, pk: int):
    """A saved version scored against a closed period (the latest closed month unless ``?period=``)."""
    version = get_version_for_hr(pk)
    form = PreviewPeriodForm(request.GET or None)
    period = form.chosen()
    preview = policy_preview(version=version, period=period) if period is not None else None
    return render(
        request,
        "hr/policy_preview.html",
        {"hr_section": "policy", "version": version, "form": form, "preview": preview},
    )
