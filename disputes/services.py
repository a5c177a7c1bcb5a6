"""Disputes (POLICY.md §8): an employee questions a number; HR accepts it with corrected figures or
rejects it with a reason. Accepting corrects the figures through the metric import (the same
checks, the same trail) after a cascading reopen of the period, all in one transaction; the
caller then puts everything due in the close line, and any difference on a paid reward reaches
payroll as an adjustment once HR takes the recomputed amount."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from appraisals.metric_import import METRIC_COLUMNS, metrics_import
from appraisals.models import KpiDefinition, Period, Scorecard
from appraisals.selectors import policy_version_for
from closing.exceptions import CloseRefused
from closing.reopen import period_reopen
from disputes.models import REASON_MIN_LENGTH, Dispute, DisputeEvent
from notifications.models import Kind
from notifications.services import hr_user_ids, notify
from rewards.models import RewardSuggestion
from roles.access import HR, audience, viewer_employee, visible_employees
from roles.models import Employee
from sales_perf.tabular import ImportFailed

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# What an attachment may be, recognised by its first bytes (its name and declared type say nothing).
ATTACHMENT_SIGNATURES = {
    b"%PDF-": "PDF",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
}


class DisputeRefused(Exception):
    """A step of a dispute that must not happen; the message says why."""


@dataclass(frozen=True)
class Correction:
    metric: str
    period: str
    value: Decimal


def dispute_deadline(period: Period) -> datetime | None:
    """Until when a closed period's figures may be questioned (``None``: it is not closed)."""
    if period.status != Period.Status.CLOSED or period.closed_at is None:
        return None
    return period.closed_at + timedelta(days=policy_version_for(period).dispute_window_days)


def attachment_kind(upload: UploadedFile) -> str:
    """PDF, PNG or JPEG from the file's content; ``DisputeRefused`` for anything else or too large."""
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise DisputeRefused(gettext("the attachment is larger than 5 MB"))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in ATTACHMENT_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    raise DisputeRefused(gettext("the attachment must be a PDF, PNG or JPEG file"))


def dispute_file(
    *,
    user,
    period_code: str,
    subject: str,
    reason: str,
    kpi_code: str = "",
    reward_id: int | None = None,
    attachment: UploadedFile | None = None,
    now: datetime | None = None,
) -> Dispute:
    """The logged-in employee questions one of their own closed figures."""
    now = now or timezone.now()
    employee = viewer_employee(user)
    if employee is None or not employee.is_active:
        raise DisputeRefused(gettext("only an employee can question their own figures"))
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise DisputeRefused(
            ngettext(
                "say why in at least %(count)s character",
                "say why in at least %(count)s characters",
                REASON_MIN_LENGTH,
            )
            % {"count": REASON_MIN_LENGTH}
        )
    period = Period.objects.filter(code=period_code).first()
    deadline = dispute_deadline(period) if period else None
    if deadline is None:
        raise DisputeRefused(gettext("%(code)s is not closed") % {"code": period_code})
    if now > deadline:
        raise DisputeRefused(
            gettext("%(code)s could be questioned until %(date)s")
            % {"code": period.code, "date": f"{deadline:%Y-%m-%d}"}
        )
    scorecard = Scorecard.objects.filter(employee=employee, period=period).first()
    reward = None
    if subject == Dispute.Subject.REWARD:
        reward = RewardSuggestion.objects.filter(pk=reward_id, employee=employee, period=period).first()
        if reward is None:
            raise DisputeRefused(gettext("no such reward of yours in %(code)s") % {"code": period.code})
    elif subject in (Dispute.Subject.SCORECARD, Dispute.Subject.KPI):
        if scorecard is None:
            raise DisputeRefused(gettext("you have no scorecard for %(code)s") % {"code": period.code})
        if subject == Dispute.Subject.KPI and not scorecard.kpi_scores.filter(code=kpi_code).exists():
            raise DisputeRefused(
                gettext("your scorecard for %(code)s has no KPI %(kpi)s") % {"code": period.code, "kpi": kpi_code}
            )
    else:
        raise DisputeRefused(gettext("choose what you question"))
    kind = attachment_kind(attachment) if attachment else ""
    with transaction.atomic():
        dispute = Dispute.objects.create(
            employee=employee,
            period=period,
            subject=subject,
            kpi_code=kpi_code if subject == Dispute.Subject.KPI else "",
            reward_code=reward.code if reward else "",
            reason=reason,
            filed_by=user,
            filed_at=now,
            attachment_name=(attachment.name[:200] if attachment else ""),
        )
        if attachment:
            dispute.attachment.save(f"{dispute.pk}.{kind.lower()}", attachment, save=True)
        DisputeEvent.objects.create(dispute=dispute, action=DisputeEvent.Action.FILED, actor=user, at=now, note=reason)
        notify(
            kind=Kind.DISPUTE_FILED,
            user_ids=[*_supervisor_line_logins(employee), *hr_user_ids()],
            params={
                "name": employee.name,
                "employee_no": employee.employee_no,
                "period": period.code,
                "reason": reason,
            },
            url=reverse("dispute_detail", args=[dispute.pk]),
            now=now,
        )
    return dispute


def _supervisor_line_logins(employee: Employee) -> list[int]:
    """The logins of everyone above the employee, up to the top."""
    logins = []
    seen = {employee.pk}
    boss = employee.reports_to
    while boss is not None and boss.pk not in seen:
        seen.add(boss.pk)
        if boss.user_id and boss.is_active:
            logins.append(boss.user_id)
        boss = boss.reports_to
    return logins


def _required_answer(resolution: str | None, refusal: str) -> str:
    """HR's answer, stripped; ``refusal`` when there is none (the employee reads the answer)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise DisputeRefused(refusal)
    return resolution


def dispute_reject(*, dispute_id: int, user, resolution: str) -> Dispute:
    resolution = _required_answer(resolution, gettext("a rejection needs a reason, which the employee will see"))
    with transaction.atomic():
        dispute = _open_dispute(dispute_id)
        now = timezone.now()
        _resolve(dispute, Dispute.Status.REJECTED, user, resolution, now)
        DisputeEvent.objects.create(
            dispute=dispute, action=DisputeEvent.Action.REJECTED, actor=user, at=now, note=resolution
        )
        _notify_resolved(dispute)
    return dispute


def dispute_accept(*, dispute_id: int, user, resolution: str, corrections: Sequence[Correction] = ()) -> Dispute:
    """Accept a dispute. With ``corrections`` (metric values of the disputed period), reopen the period
    and everything that depends on it (POLICY.md §3) and write them through the metric import, all or
    nothing; the caller then puts everything due in the close line (``close_due_enqueue``)."""
    resolution = _required_answer(resolution, gettext("say what was wrong: the employee sees it"))
    with transaction.atomic():
        dispute = _open_dispute(dispute_id)
        now = timezone.now()
        recorded = []
        if corrections:
            _check_corrections(dispute, corrections)
            try:
                reopened = period_reopen(
                    code=dispute.period.code,
                    reason=gettext("Dispute #%(id)s: %(answer)s") % {"id": dispute.pk, "answer": resolution},
                    user=user,
                )
            except CloseRefused as exc:
                raise DisputeRefused(str(exc)) from None
            recorded = _apply(dispute, corrections, user)
        _resolve(dispute, Dispute.Status.ACCEPTED, user, resolution, now, corrections=recorded)
        DisputeEvent.objects.create(
            dispute=dispute, action=DisputeEvent.Action.ACCEPTED, actor=user, at=now, note=resolution
        )
        if corrections:
            DisputeEvent.objects.create(
                dispute=dispute,
                action=DisputeEvent.Action.CORRECTED,
                actor=user,
                at=now,
                details={"corrections": recorded, "reopened": [period.code for period in reopened]},
            )
        _notify_resolved(dispute)
    return dispute


def _open_dispute(dispute_id: int) -> Dispute:
    dispute = Dispute.objects.select_for_update().select_related("employee", "period").filter(pk=dispute_id).first()
    if dispute is None:
        raise DisputeRefused(gettext("no such dispute"))
    if dispute.status != Dispute.Status.OPEN:
        raise DisputeRefused(gettext("this dispute is already answered"))
    return dispute


def _check_corrections(dispute: Dispute, corrections: Sequence[Correction]) -> None:
    inside = {month.code for month in dispute.period.ref.months()} | {q.code for q in dispute.period.ref.quarters()}
    outside = sorted({c.period for c in corrections if c.period not in inside})
    if outside:
        raise DisputeRefused(
            gettext("a correction must be inside %(code)s, not %(periods)s")
            % {"code": dispute.period.code, "periods": ", ".join(outside)}
        )


def _apply(dispute: Dispute, corrections: Sequence[Correction], user) -> list[dict]:
    """Write the corrected values through the metric import (its checks and its trail)."""
    before = {
        (metric, period): value
        for metric, period, value in dispute.employee.metric_values.filter(
            period__code__in={c.period for c in corrections}
        ).values_list("metric_id", "period__code", "value")
    }
    file = io.StringIO()
    writer = csv.writer(file)
    writer.writerow(METRIC_COLUMNS)
    for correction in corrections:
        writer.writerow([dispute.employee.employee_no, correction.period, correction.metric, correction.value])
    try:
        metrics_import(source=file.getvalue().encode(), filename=f"dispute-{dispute.pk}.csv", user=user)
    except ImportFailed as failed:
        raise DisputeRefused("; ".join(error.reason for error in failed.errors)) from None
    return [
        {
            "metric": c.metric,
            "period": c.period,
            "value": format(c.value, "f"),
            "before": "" if (c.metric, c.period) not in before else format(before[(c.metric, c.period)], "f"),
        }
        for c in corrections
    ]


def _resolve(dispute: Dispute, status: str, user, resolution: str, now: datetime, corrections=None) -> None:
    dispute.status = status
    dispute.resolution = resolution
    dispute.resolved_by = user
    dispute.resolved_at = now
    fields = ["status", "resolution", "resolved_by", "resolved_at"]
    if corrections is not None:
        dispute.corrections = corrections
        fields.append("corrections")
    dispute.save(update_fields=fields)


def _notify_resolved(dispute: Dispute) -> None:
    if dispute.employee.user_id:
        notify(
            kind=Kind.DISPUTE_RESOLVED,
            user_ids=[dispute.employee.user_id],
            params={"period": dispute.period.code, "status": dispute.status, "resolution": dispute.resolution},
            url=reverse("dispute_detail", args=[dispute.pk]),
        )


# --------------------------------------------------------------------------- reads


def disputes_visible(user) -> QuerySet[Dispute]:
    """The disputes ``user`` may see: their own, their unit's (a lead), everyone's (HR)."""
    disputes = Dispute.objects.select_related("employee", "period")
    if audience(user) == HR:
        return disputes
    return disputes.filter(employee__in=visible_employees(user))


def dispute_age_days(dispute: Dispute, today: date) -> int:
    return (today - timezone.localdate(dispute.filed_at)).days


@dataclass(frozen=True)
class DisputeRate:
    period: str
    disputes: int
    scorecards: int

    @property
    def per_hundred(self) -> Decimal | None:
        if not self.scorecards:
            return None
        return (Decimal(self.disputes) * 100 / self.scorecards).quantize(Decimal("0.01"))


def dispute_rates(*, limit: int = 12) -> list[DisputeRate]:
    """Disputes per 100 scorecards of the latest closed periods that have any scorecard (2 queries)."""
    periods = list(
        Period.objects.filter(status=Period.Status.CLOSED)
        .annotate(scorecard_count=Count("scorecards"))
        .filter(scorecard_count__gt=0)
        .order_by("-end", "start")[:limit]
    )
    filed = dict(Dispute.objects.filter(period__in=periods).values_list("period_id").annotate(n=Count("id")).order_by())
    return [DisputeRate(p.code, filed.get(p.pk, 0), p.scorecard_count) for p in periods]


def kpi_metrics(dispute: Dispute) -> list[str]:
    """The metric codes behind a disputed KPI (for HR's correction form); none when it is not about a KPI."""
    scorecard = Scorecard.objects.filter(employee=dispute.employee, period=dispute.period).first()
    if not dispute.kpi_code or scorecard is None:
        return []
    kpi = KpiDefinition.objects.filter(policy_version_id=scorecard.policy_version_id, code=dispute.kpi_code).first()
    if kpi is None:
        return []
    return [code for code in (kpi.numerator_metric_id, kpi.denominator_metric_id) if code]
