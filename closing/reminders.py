"""Ratings due (POLICY.md §4, issue 10): five days before a quarter ends, each supervisor and manager
who still has people to rate hears it once, in the app and by mail, with who is still unrated.

The beat runs ``ratings_due_notify`` through ``closing.tasks.ratings_due_remind`` (the periodic tasks
live in ``closing.schedule``); this module never enqueues anything itself."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period
from appraisals.periods import PeriodRef
from appraisals.ratings import unrated
from notifications.models import Kind, Notification
from notifications.services import notify_each
from roles.models import Employee

# How many days before a quarter's last day the leads are reminded.
RATINGS_DUE_DAYS = 5


def ratings_due_quarter(today: date) -> PeriodRef | None:
    """The quarter whose ratings are due on ``today``: the current one, from five days before its end."""
    quarter = PeriodRef.month(today.year, today.month).parent_quarter()
    return quarter if (quarter.end - today).days <= RATINGS_DUE_DAYS else None


def ratings_due_notify(*, today: date | None = None) -> int:
    """Remind every active lead with a login who still has unrated people in the due quarter, once per
    quarter and person: a lead already reminded for that quarter is not reminded again. Returns how
    many notifications were stored (0 outside the window, or once the quarter is closing or closed)."""
    today = today or timezone.localdate()
    quarter = ratings_due_quarter(today)
    if quarter is None:
        return 0
    with transaction.atomic():
        period, _created = Period.objects.get_or_create(code=quarter.code, defaults=Period.fields_for(quarter))
        # Hold the quarter: two reminder runs at once never both remind the same lead.
        period = Period.objects.select_for_update().get(pk=period.pk)
        if period.status != Period.Status.OPEN:
            return 0
        people_of: dict[int, list[list[str]]] = defaultdict(list)
        for person in unrated(quarter=quarter):
            if person.rater_id is not None:
                people_of[person.rater_id].append([person.employee_no, person.name])
        logins = dict(
            Employee.objects.filter(pk__in=list(people_of), is_active=True, user__isnull=False).values_list(
                "pk", "user_id"
            )
        )
        reminded = set(
            Notification.objects.filter(kind=Kind.RATINGS_DUE, params__quarter=quarter.code).values_list(
                "recipient_id", flat=True
            )
        )
        url = f"{reverse('team_ratings')}?quarter={quarter.code}"
        messages = [
            (user_id, {"quarter": quarter.code, "people": people_of[rater_id]}, url)
            for rater_id, user_id in sorted(logins.items())
            if user_id not in reminded
        ]
        return notify_each(kind=Kind.RATINGS_DUE, messages=messages)
