"""Reads behind the HR console's payroll pages (/hr/payroll/…): the runs made so far with their
totals, and one run's lines."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from rewards.models import PayrollLine, PayrollRun


def get_run_for_hr(pk: int) -> PayrollRun:
    """A payroll run, or 404 (HR sees every run; the caller has checked the audience)."""
    return get_object_or_404(PayrollRun.objects.select_related("created_by", "period"), pk=pk)


def payroll_runs() -> QuerySet[PayrollRun]:
    """Every run, newest first, with its payments, adjustments and how many adjustments it holds."""
    return (
        PayrollRun.objects.select_related("created_by", "period")
        .annotate(
            payments=Sum("lines__amount", filter=Q(lines__kind=PayrollLine.Kind.PAYMENT)),
            adjustments=Sum("lines__amount", filter=Q(lines__kind=PayrollLine.Kind.ADJUSTMENT)),
            adjustment_count=Count("lines", filter=Q(lines__kind=PayrollLine.Kind.ADJUSTMENT)),
        )
        .order_by("-created_at", "-id")
    )


def run_lines(run: PayrollRun) -> QuerySet[PayrollLine]:
    """The run's lines in the order they were written, each with the run an adjustment corrects."""
    return run.lines.select_related("original_run").order_by("id")
