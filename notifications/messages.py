"""The words of a notification, made when it is read (or mailed) in the reader's language."""

from __future__ import annotations

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from notifications.models import Kind, Notification


def _localised(params: dict, key: str) -> str:
    """A name kept in both languages in ``params`` (``key_en``/``key_zh``), in the reader's."""
    chinese = (get_language() or "").startswith("zh")
    return params.get(f"{key}_zh" if chinese else f"{key}_en") or params.get(f"{key}_en", "")


def title(notification: Notification) -> str:
    p = notification.params
    kind = notification.kind
    if kind == Kind.SCORECARD_READY:
        return _("Your scorecard for %(period)s is ready") % {"period": p.get("period", "")}
    if kind == Kind.REWARD_DECIDED:
        values = {"reward": _localised(p, "reward"), "period": p.get("period", "")}
        if p.get("status") == "approved":
            return _("Your %(reward)s for %(period)s was approved") % values
        return _("Your %(reward)s for %(period)s was rejected") % values
    if kind == Kind.DISPUTE_FILED:
        return _("%(name)s questions a figure of %(period)s") % {
            "name": p.get("name", ""),
            "period": p.get("period", ""),
        }
    if kind == Kind.DISPUTE_RESOLVED:
        if p.get("status") == "accepted":
            return _("Your question about %(period)s was accepted") % {"period": p.get("period", "")}
        return _("Your question about %(period)s was rejected") % {"period": p.get("period", "")}
    if kind == Kind.RATINGS_DUE:
        count = len(p.get("people", []))
        return ngettext(
            "Ratings for %(quarter)s are due: %(count)s person is not rated",
            "Ratings for %(quarter)s are due: %(count)s people are not rated",
            count,
        ) % {"quarter": p.get("quarter", ""), "count": count}
    if kind == Kind.CLOSE_TROUBLE:
        if p.get("taken_over"):
            return _("The close of %(period)s was taken over after its worker stopped") % {
                "period": p.get("period", "")
            }
        return _("The close of %(period)s failed") % {"period": p.get("period", "")}
    return str(Kind(kind).label) if kind in Kind.values else kind


def body(notification: Notification) -> str:
    """More than the title, where there is more to say (a reason, the people not rated)."""
    p = notification.params
    kind = notification.kind
    if kind == Kind.REWARD_DECIDED and p.get("reason"):
        return _("Reason: %(reason)s") % {"reason": p["reason"]}
    if kind == Kind.DISPUTE_FILED:
        return p.get("reason", "")
    if kind == Kind.DISPUTE_RESOLVED and p.get("resolution"):
        return _("Answer: %(answer)s") % {"answer": p["resolution"]}
    if kind == Kind.RATINGS_DUE:
        return ", ".join(f"{no} {name}" for no, name in p.get("people", []))
    if kind == Kind.CLOSE_TROUBLE:
        return p.get("reason", "")
    return ""
