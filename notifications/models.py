from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sales_perf.fields import optional_moment


class Kind(models.TextChoices):
    """What a notification is about; each has its sentence (notifications.messages) and its email switch."""

    SCORECARD_READY = "scorecard_ready", _("your scorecard is ready")
    REWARD_DECIDED = "reward_decided", _("a decision on your reward")
    DISPUTE_FILED = "dispute_filed", _("a question about a figure was filed")
    DISPUTE_RESOLVED = "dispute_resolved", _("your question was answered")
    RATINGS_DUE = "ratings_due", _("ratings are due")
    CLOSE_TROUBLE = "close_trouble", _("a close failed or was taken over")


class Notification(models.Model):
    """One message to one person: shown under the bell, and mailed unless they turned that kind off.
    Its words are made when it is read, in the reader's language, from ``kind`` and ``params``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"))
    read_at = optional_moment(_("read at"))
    # Set when the mail went out; stays empty when no mail is wanted.
    email_wanted = models.BooleanField(_("mail wanted"), default=True)
    emailed_at = optional_moment(_("mailed at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell: a person's unread notifications.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The mailer: notifications wanting a mail not sent yet.
            models.Index(
                fields=["id"],
                condition=models.Q(email_wanted=True, emailed_at__isnull=True),
                name="notification_to_mail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"


class Preference(models.Model):
    """A person's language (for their mail) and the kinds of notification they want no mail for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    no_email = models.JSONField(_("no mail for"), default=list, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id} {self.language}"
