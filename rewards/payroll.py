"""Payroll runs (POLICY.md §6): HR hands approved cash to payroll.

A run takes every approved cash reward of a closed period that no run holds yet (optionally of one
period) and every adjustment waiting for a run, writes its lines and its file (CSV or XLSX) and
keeps the file's bytes and SHA-256: it is immutable, and downloads again byte for byte the same.
A reward is paid in at most one run (a partial unique index on the payment lines); runs are made
one at a time under a lock (``sales_perf.locks``), and a form's one-time token turns a double submit into the run it
already made.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.models import Period
from rewards.models import PayrollAdjustment, PayrollLine, PayrollRun, RewardSuggestion
from sales_perf import exports
from sales_perf.locks import serialized, with_lock_retries

PAYROLL_COLUMNS = ["run_id", "employee_no", "name", "period", "reward", "amount", "line_kind", "original_run_id"]
# pg_advisory_xact_lock key of payroll runs (the close's line uses another).
PAYROLL_LOCK_KEY = 4_701_137_011


class PayrollRefused(Exception):
    """A run that cannot be made; the message says why in one line."""


@dataclass(frozen=True)
class PlannedLine:
    """A line as it will stand in the run's file."""

    reward_id: int
    employee_no: str
    name: str
    period_code: str
    reward_code: str
    amount: Decimal
    kind: str
    original_run_id: int | None
    adjustment_id: int | None = None

    def stored_fields(self) -> dict:
        """What a ``PayrollLine`` keeps of it: everything but the adjustment it pays."""
        return {field.name: getattr(self, field.name) for field in fields(self) if field.name != "adjustment_id"}


@dataclass(frozen=True)
class PayrollPlan:
    """What a run would hold now (a dry run shows it; a run writes it)."""

    lines: list[PlannedLine]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def payments(self) -> list[PlannedLine]:
        return [line for line in self.lines if line.kind == PayrollLine.Kind.PAYMENT]

    @property
    def adjustments(self) -> list[PlannedLine]:
        return [line for line in self.lines if line.kind == PayrollLine.Kind.ADJUSTMENT]


def payroll_plan(*, period: Period | None = None) -> PayrollPlan:
    """The lines the next run would hold, in employee and period order (2 queries)."""
    paid = PayrollLine.objects.filter(reward=OuterRef("pk"), kind=PayrollLine.Kind.PAYMENT)
    rewards = (
        RewardSuggestion.objects.filter(
            status=RewardSuggestion.Status.APPROVED, amount__isnull=False, period__status=Period.Status.CLOSED
        )
        .exclude(Exists(paid))
        .select_related("employee", "period")
    )
    adjustments = PayrollAdjustment.objects.filter(line__isnull=True).select_related(
        "reward__employee", "reward__period"
    )
    if period is not None:
        rewards = rewards.filter(period=period)
        adjustments = adjustments.filter(reward__period=period)
    lines = [
        PlannedLine(
            reward_id=reward.pk,
            employee_no=reward.employee.employee_no,
            name=reward.employee.name,
            period_code=reward.period.code,
            reward_code=reward.code,
            amount=reward.amount,
            kind=PayrollLine.Kind.PAYMENT,
            original_run_id=None,
        )
        for reward in rewards
    ]
    adjustments = list(adjustments)
    original_runs = dict(
        PayrollLine.objects.filter(
            reward_id__in=[a.reward_id for a in adjustments], kind=PayrollLine.Kind.PAYMENT
        ).values_list("reward_id", "run_id")
    )
    lines += [
        PlannedLine(
            reward_id=adjustment.reward_id,
            employee_no=adjustment.reward.employee.employee_no,
            name=adjustment.reward.employee.name,
            period_code=adjustment.reward.period.code,
            reward_code=adjustment.reward.code,
            amount=adjustment.amount,
            kind=PayrollLine.Kind.ADJUSTMENT,
            original_run_id=original_runs[adjustment.reward_id],
            adjustment_id=adjustment.pk,
        )
        for adjustment in adjustments
    ]
    lines.sort(key=lambda line: (line.employee_no, line.period_code, line.reward_code, line.kind))
    return PayrollPlan(lines=lines)


def payroll_file(*, run_id: int | None, lines: Sequence[PlannedLine], fmt: str) -> bytes:
    """The run's file: the columns of POLICY.md §6, amounts with 2 decimals (numeric cells in XLSX)."""
    rows = [
        [
            run_id,
            line.employee_no,
            line.name,
            line.period_code,
            line.reward_code,
            line.amount,
            line.kind,
            line.original_run_id,
        ]
        for line in lines
    ]
    return exports.render(PAYROLL_COLUMNS, rows, fmt=fmt)


def payroll_run_create(
    *, user, fmt: str = PayrollRun.Format.CSV, period: Period | None = None, token: uuid.UUID | None = None
) -> PayrollRun:
    """Make a run of everything due to payroll now; ``PayrollRefused`` when nothing is.

    ``token``: the HR form's one-time token; a second submit of it returns the run it made."""
    if fmt not in PayrollRun.Format.values:
        raise PayrollRefused(gettext("unknown format %(value)r (use csv or xlsx)") % {"value": fmt})
    token = token or uuid.uuid4()

    def make() -> PayrollRun:
        with serialized(PAYROLL_LOCK_KEY):
            made = PayrollRun.objects.filter(token=token).first()
            if made is not None:
                return made
            plan = payroll_plan(period=period)
            if not plan.lines:
                raise PayrollRefused(gettext("nothing to pay: no approved cash reward or adjustment is waiting"))
            return _run_write(plan, user=user, fmt=fmt, period=period, token=token)

    try:
        run = with_lock_retries(make)
    except IntegrityError:
        # The same token committed meanwhile (a double submit); anything else is a real error.
        made = PayrollRun.objects.filter(token=token).first()
        if made is None:
            raise
        return made
    run.refresh_from_db()
    return run


def _run_write(plan: PayrollPlan, *, user, fmt: str, period: Period | None, token: uuid.UUID) -> PayrollRun:
    run = PayrollRun.objects.create(
        created_by=user,
        created_at=timezone.now(),
        period=period,
        file_format=fmt,
        file=b"",
        sha256="",
        lines_count=len(plan.lines),
        total=plan.total,
        token=token,
    )
    written = PayrollLine.objects.bulk_create([PayrollLine(run=run, **line.stored_fields()) for line in plan.lines])
    for line, planned in zip(written, plan.lines, strict=True):
        if planned.adjustment_id is not None:
            PayrollAdjustment.objects.filter(pk=planned.adjustment_id, line__isnull=True).update(line=line)
    content = payroll_file(run_id=run.pk, lines=plan.lines, fmt=fmt)
    PayrollRun.objects.filter(pk=run.pk).update(file=content, sha256=hashlib.sha256(content).hexdigest())
    return run


def payroll_run_file(run: PayrollRun) -> tuple[bytes, str]:
    """The stored file of a run and its name."""
    return bytes(run.file), f"payroll-run-{run.pk}.{run.file_format}"
