"""The bell: a person's notifications, marking them read, and which ones also come by mail."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications import messages as words
from notifications.models import Kind
from notifications.services import notifications_mark_read, preference_for, preference_update
from pages.selectors.notifications import notification_url, notifications_of
from pages.views.decorators import login_view

PER_PAGE = 30


@login_view("GET", never_cache=True)
def notification_list(request):
    page = Paginator(notifications_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = [(notification, words.title(notification), words.body(notification)) for notification in page]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@login_view("POST")
def notification_read(request):
    """Mark one (``id``) or every notification of the viewer read, then go where it points (or back)."""
    ids = [int(request.POST["id"])] if request.POST.get("id", "").isdigit() else None
    notifications_mark_read(user=request.user, ids=ids)
    target = notification_url(request.user, ids[0]) if ids else ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else "notifications")


class MailForm(forms.Form):
    no_email = forms.MultipleChoiceField(
        label=gettext_lazy("No mail for"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("They still show under the bell."),
    )


@login_view("GET", "POST")
def notification_settings(request):
    preference = preference_for(request.user)
    form = MailForm(request.POST or None, initial={"no_email": preference.no_email})
    if request.method == "POST" and form.is_valid():
        preference_update(user=request.user, no_email=form.cleaned_data["no_email"])
        messages.success(request, _("Saved."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})
