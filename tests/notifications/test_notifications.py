"""Notifications: the bell and its list, each person's own only; mail after commit in the recipient's
language, once, unless they turned that kind off; inactive people get nothing; what triggers them."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.models import Kind, Notification
from notifications.services import emails_send, notify, preference_update
from notifications.tasks import send_notification_emails
from rewards.models import RewardSuggestion
from rewards.services import rewards_decide
from tests.builders import client_for, close_period, employee, hr_user, reward, small_org

pytestmark = pytest.mark.django_db


def test_a_notification_shows_under_the_bell_and_is_read_once_opened(org, rep_client):
    notify(kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id], params={"period": "2026-01"}, url="/me/")

    page = rep_client.get("/me/").content.decode()
    assert "Notifications: 1 unread" in page
    listing = rep_client.get("/notifications/").content.decode()
    assert "Your scorecard for 2026-01 is ready" in listing

    note = Notification.objects.get()
    response = rep_client.post("/notifications/read/", {"id": note.pk})

    assert response["Location"] == "/me/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert "Notifications: 0 unread" in rep_client.get("/me/").content.decode()


def test_nobody_reads_or_marks_anothers_notifications(org, rep_client):
    notify(kind=Kind.SCORECARD_READY, user_ids=[org.r02.user_id], params={"period": "2026-01"}, url="/me/")
    theirs = Notification.objects.get()

    assert "2026-01" not in rep_client.get("/notifications/").content.decode()
    rep_client.post("/notifications/read/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_notification_reads_in_the_readers_language(org, rep_client):
    notify(kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id], params={"period": "2026-01"}, url="/me/")

    page = rep_client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "2026-01 的考核表已出" in page


def test_mail_goes_once_in_the_recipients_language(org):
    preference_update(user=org.r01.user, language="zh-hans")
    notify(
        kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id, org.r02.user_id], params={"period": "2026-01"}, url="/me/"
    )

    assert emails_send() == 2
    assert emails_send() == 0  # claimed: never sent twice
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[org.r01.user.email] == "您 2026-01 的考核表已出"
    assert subjects[org.r02.user.email] == "Your scorecard for 2026-01 is ready"
    assert "http://127.0.0.1:8000/me/" in mail.outbox[0].body


def test_a_kind_turned_off_is_not_mailed_but_still_shown(org, rep_client):
    rep_client.post("/notifications/settings/", {"no_email": [Kind.SCORECARD_READY]})
    notify(kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id], params={"period": "2026-01"}, url="/me/")

    assert emails_send() == 0 and mail.outbox == []
    assert Notification.objects.get().email_wanted is False


def test_inactive_people_get_nothing(org):
    org.r01.is_active = False
    org.r01.save(update_fields=["is_active"])
    org.r02.user.is_active = False
    org.r02.user.save(update_fields=["is_active"])

    made = notify(kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id, org.r02.user_id], params={}, url="")

    assert made == 0 and not Notification.objects.exists()


def test_closing_tells_everyone_with_a_scorecard_and_mails_them(django_capture_on_commit_callbacks):
    team = small_org(months=("2026-01",))
    for person in (team.r1, team.r2):
        client_for(person)

    close_period("2026-01")

    told = set(Notification.objects.filter(kind=Kind.SCORECARD_READY).values_list("recipient_id", flat=True))
    assert told == {team.r1.user_id, team.r2.user_id}
    assert {message.to[0] for message in mail.outbox} == {team.r1.user.email, team.r2.user.email}


def test_a_decision_tells_the_employee_with_the_reason():
    person = employee("R5", login=True)
    rejected = reward(person, amount="100.00")

    rewards_decide(
        suggestion_ids=[rejected.pk], decision=RewardSuggestion.Status.REJECTED, user=hr_user(), reason="Booked twice."
    )
    send_notification_emails.apply()

    note = Notification.objects.get(kind=Kind.REWARD_DECIDED)
    assert note.recipient == person.user
    assert mail.outbox[0].subject == "Your Sales commission for 2026-01 was rejected"
    assert "Reason: Booked twice." in mail.outbox[0].body


def test_a_failed_close_tells_hr(monkeypatch):
    small_org(months=("2026-01",))
    hr = hr_user()

    def broken(**kwargs):
        raise ValueError("disk full")

    monkeypatch.setattr("closing.attempt.scorecards_write", broken)
    with pytest.raises(ValueError):
        close_period("2026-01")

    note = Notification.objects.get(kind=Kind.CLOSE_TROUBLE)
    assert note.recipient == hr and note.params["reason"] == "ValueError: disk full"


def test_the_language_a_person_switches_to_is_the_language_of_their_mail(org, rep_client):
    rep_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/me/"})
    notify(kind=Kind.SCORECARD_READY, user_ids=[org.r01.user_id], params={"period": "2026-01"}, url="/me/")

    emails_send()

    assert mail.outbox[0].subject == "您 2026-01 的考核表已出"


def test_the_language_a_person_signs_in_with_is_remembered(org, client):
    org.r02.user.set_password("pass-word-123")
    org.r02.user.save()

    client.post(
        "/accounts/login/",
        {"username": org.r02.user.username, "password": "pass-word-123"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert org.r02.user.notification_preference.language == "zh-hans"
