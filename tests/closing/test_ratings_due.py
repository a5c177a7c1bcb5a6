"""Ratings due (issue 10): five days before a quarter ends, each supervisor and manager who still has
unrated people is told once — under the bell and by mail, in their language — under a controlled clock."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from appraisals.models import Period
from closing import tasks
from closing.reminders import RATINGS_DUE_DAYS, ratings_due_notify
from closing.schedule import BEAT_SCHEDULE
from notifications import messages
from notifications.models import Kind, Notification
from notifications.services import emails_send, preference_update
from roles.models import Employee
from tests.builders import period, ratings

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def at(day: int, month: int = 12) -> time_machine.travel:
    """Noon in Shanghai (the app's time zone) on ``day`` ``month`` 2026; the clock stands still."""
    return time_machine.travel(datetime.datetime(2026, month, day, 12, 0, tzinfo=SHANGHAI), tick=False)


def reminders() -> dict[str, list[str]]:
    """Who was reminded (login) → the employee numbers listed."""
    return {
        n.recipient.username: [no for no, _name in n.params["people"]]
        for n in Notification.objects.filter(kind=Kind.RATINGS_DUE).select_related("recipient")
    }


def test_the_reminder_is_in_the_beat_schedule():
    assert BEAT_SCHEDULE["ratings-due-reminders"]["task"] == "closing.tasks.ratings_due_remind"
    assert RATINGS_DUE_DAYS == 5


def test_nothing_is_sent_more_than_five_days_before_the_quarter_ends(org):
    with at(25):  # 2026-Q4 ends on the 31st: six days left
        assert ratings_due_notify() == 0
    assert not Notification.objects.exists()


def test_five_days_before_the_end_each_lead_with_unrated_people_is_told_who(org):
    ratings(org.r03, quarter="2026-Q4", collaboration="4", skill_growth="4")  # S02's only report is rated
    with at(26):
        assert ratings_due_notify() == 4
    assert reminders() == {
        "s01": ["R01", "R02", "S03"],
        "m01": ["S01", "S02"],
        "m09": ["R09"],
        "s03": ["R07"],
    }
    notice = Notification.objects.get(recipient=org.s01.user)
    assert notice.params["quarter"] == "2026-Q4"
    assert notice.url == "/team/ratings/?quarter=2026-Q4"
    assert messages.title(notice) == "Ratings for 2026-Q4 are due: 3 people are not rated"
    assert messages.body(notice) == "R01 Name R01, R02 Name R02, S03 Name S03"


def test_no_second_notice_for_the_same_quarter_and_person(org):
    with at(26):
        first = ratings_due_notify()
    with at(30):
        assert ratings_due_notify() == 0
    assert Notification.objects.filter(kind=Kind.RATINGS_DUE).count() == first


def test_a_lead_who_has_rated_everyone_is_not_told(org):
    ratings(org.r07, quarter="2026-Q4", collaboration="4", skill_growth="4")
    with at(27):
        ratings_due_notify()
    assert "s03" not in reminders()


def test_an_inactive_lead_is_not_told(org):
    Employee.objects.filter(pk=org.s03.pk).update(is_active=False)
    with at(27):
        ratings_due_notify()
    assert "s03" not in reminders()


def test_a_closed_quarter_sends_nothing(org):
    period("2026-Q4", status=Period.Status.CLOSED)
    with at(28):
        assert ratings_due_notify() == 0


def test_the_next_quarter_is_reminded_again(org):
    with at(26):
        ratings_due_notify()
    with time_machine.travel(datetime.datetime(2027, 3, 26, 12, 0, tzinfo=SHANGHAI), tick=False):
        assert ratings_due_notify() == 5  # S01, S02, S03, M01, M09: nobody is rated for 2027-Q1
    quarters = sorted(set(Notification.objects.values_list("params__quarter", flat=True)))
    assert quarters == ["2026-Q4", "2027-Q1"]


def test_the_beat_task_stores_and_mails_in_each_recipients_language(org, django_capture_on_commit_callbacks):
    preference_update(user=org.s01.user, language="zh-hans")
    with at(26), django_capture_on_commit_callbacks(execute=True):
        assert tasks.ratings_due_remind() == 5
    assert emails_send() == 0  # the task already mailed them
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[org.s01.user.email] == "2026-Q4 的评分即将截止：3 人尚未评分"
    assert subjects[org.m01.user.email] == "Ratings for 2026-Q4 are due: 2 people are not rated"
    body = next(m.body for m in mail.outbox if m.to[0] == org.s01.user.email)
    assert "R01 Name R01" in body and "http://127.0.0.1:8000/team/ratings/?quarter=2026-Q4" in body
    # Run again by the beat: nothing new, nothing mailed twice.
    with at(27), django_capture_on_commit_callbacks(execute=True):
        assert tasks.ratings_due_remind() == 0
    assert len(mail.outbox) == 5


def test_the_notice_shows_under_the_bell_in_chinese(org, supervisor_client):
    with at(26):
        ratings_due_notify()
    supervisor_client.cookies["django_language"] = "zh-hans"
    content = supervisor_client.get("/notifications/").content.decode()
    assert "2026-Q4 的评分即将截止：3 人尚未评分" in content
