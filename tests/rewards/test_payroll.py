"""Payroll runs (POLICY.md §6): approved cash to payroll, immutable, never paid twice, and the
adjustments that follow when a paid month is reopened and closed again."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from appraisals.models import MetricValue, Period
from closing.reopen import period_reopen
from rewards.models import PayrollAdjustment, PayrollLine, PayrollRun, RewardSuggestion
from rewards.payroll import PAYROLL_COLUMNS, PayrollRefused, payroll_plan, payroll_run_create
from rewards.services import reward_accept_recomputed, rewards_decide
from tests.builders import close_period, hr_user, period, reward, small_org

pytestmark = pytest.mark.django_db

APPROVED, REJECTED, PENDING = (RewardSuggestion.Status.APPROVED, RewardSuggestion.Status.REJECTED, "pending")


def rows_of(run: PayrollRun) -> list[dict]:
    return list(csv.DictReader(io.StringIO(bytes(run.file).decode("utf-8"))))


def test_a_run_takes_every_approved_cash_reward_not_yet_in_a_run():
    hr = hr_user()
    paid = reward(amount="2800.00", status=APPROVED)
    other = reward(amount="1200.50", status=APPROVED, code="quarterly_bonus", period="2026-Q1")
    reward(amount="999.00")  # pending: not paid
    reward(amount="500.00", status=REJECTED)  # rejected: never paid
    reward(amount=None, code="flex_time", status=APPROVED)  # not cash
    reward(amount="700.00", status=APPROVED, period=period("2026-02", status=Period.Status.OPEN))  # not closed

    run = payroll_run_create(user=hr)

    assert (run.created_by, run.lines_count, run.total) == (hr, 2, Decimal("4000.50"))
    assert set(run.lines.values_list("reward_id", "kind", "amount")) == {
        (paid.pk, "payment", Decimal("2800.00")),
        (other.pk, "payment", Decimal("1200.50")),
    }
    rows = rows_of(run)
    assert list(rows[0]) == PAYROLL_COLUMNS
    assert {(r["employee_no"], r["period"], r["reward"], r["amount"], r["line_kind"], r["run_id"]) for r in rows} == {
        (paid.employee.employee_no, "2026-01", "commission", "2800.00", "payment", str(run.pk)),
        (other.employee.employee_no, "2026-Q1", "quarterly_bonus", "1200.50", "payment", str(run.pk)),
    }
    assert run.sha256 == hashlib.sha256(bytes(run.file)).hexdigest()
    with pytest.raises(PayrollRefused, match="nothing to pay"):
        payroll_run_create(user=hr)


def test_a_run_can_take_one_period_only():
    january = reward(amount="100.00", status=APPROVED)
    quarter = reward(amount="200.00", status=APPROVED, period="2026-Q1")

    run = payroll_run_create(user=hr_user(), period=Period.objects.get(code="2026-Q1"))

    assert list(run.lines.values_list("reward_id", flat=True)) == [quarter.pk]
    assert payroll_plan().payments[0].reward_id == january.pk


def test_the_same_token_twice_makes_one_run():
    reward(amount="100.00", status=APPROVED)
    token = uuid.uuid4()

    first = payroll_run_create(user=hr_user(), token=token)
    second = payroll_run_create(user=hr_user(), token=token)

    assert first.pk == second.pk and PayrollRun.objects.count() == 1


def test_the_database_refuses_a_second_payment_of_a_reward():
    paid = reward(amount="100.00", status=APPROVED)
    run = payroll_run_create(user=hr_user())
    line = run.lines.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollLine.objects.create(
            run=run, reward=paid, kind="payment", amount=Decimal("100.00"), employee_no="x", name="x",
            period_code="2026-01", reward_code="commission",
        )  # fmt: skip
    assert line.amount == Decimal("100.00")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_runs_never_pay_a_reward_twice():
    rewards = [reward(amount="100.00", status=APPROVED) for _ in range(20)]
    hr = hr_user()
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def submit() -> None:
        try:
            start.wait()
            outcomes.append(payroll_run_create(user=hr))
        except PayrollRefused as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    runs = [outcome for outcome in outcomes if isinstance(outcome, PayrollRun)]
    assert len(runs) == 1, outcomes
    assert sorted(PayrollLine.objects.values_list("reward_id", flat=True)) == sorted(r.pk for r in rewards)


def test_a_run_downloads_again_byte_for_byte_the_same(hr_client):
    reward(amount="100.00", status=APPROVED)
    run = payroll_run_create(user=hr_user(), fmt="xlsx")

    first = hr_client.get(f"/hr/payroll/{run.pk}/download/")
    second = hr_client.get(f"/hr/payroll/{run.pk}/download/")

    assert first.content == second.content == bytes(run.file)
    assert hashlib.sha256(first.content).hexdigest() == run.sha256
    assert first["Content-Disposition"] == f'attachment; filename="payroll-run-{run.pk}.xlsx"'
    assert first["Cache-Control"].startswith("max-age=0") or "no-cache" in first["Cache-Control"]


def test_the_xlsx_file_holds_numbers_with_two_decimals_under_a_frozen_header():
    reward(amount="1234.50", status=APPROVED)
    run = payroll_run_create(user=hr_user(), fmt="xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(bytes(run.file))).active

    assert [cell.value for cell in sheet[1]] == PAYROLL_COLUMNS
    amount = sheet.cell(row=2, column=6)
    assert (amount.value, amount.data_type, amount.number_format) == (1234.5, "n", "0.00")
    assert sheet.cell(row=2, column=1).value == run.pk
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["G"].width >= len("line_kind")


# --------------------------------------------------------------------------- adjustments


@pytest.fixture
def paid_january():
    """January closed, both reps' commissions approved and paid in run #1."""
    org = small_org(months=("2026-01",))
    close_period("2026-01")
    hr = hr_user()
    commissions = RewardSuggestion.objects.filter(code="commission")
    rewards_decide(suggestion_ids=list(commissions.values_list("pk", flat=True)), decision=APPROVED, user=hr)
    run = payroll_run_create(user=hr)
    return org, hr, run


def commission_of(employee) -> RewardSuggestion:
    return RewardSuggestion.objects.get(employee=employee, period__code="2026-01", code="commission")


def reclose_with(employee, **values) -> None:
    period_reopen(code="2026-01", reason="corrected sales")
    for metric, value in values.items():
        rows = MetricValue.objects.filter(employee=employee, period__code="2026-01", metric_id=metric)
        if value is None:
            rows.delete()
        else:
            rows.update(value=Decimal(value))
    close_period("2026-01")


@pytest.mark.parametrize(
    ("actual", "new_amount", "adjustment"),
    [
        # R1 sold 120,000 of 100,000: 2,000 + 4% × 20,000 = 2,800.00 paid
        ("130000", "3200.00", "400.00"),  # an increase: 2,000 + 4% × 30,000
        ("90000", "1800.00", "-1000.00"),  # a decrease: 2% × 90,000
    ],
)
def test_a_paid_reward_recomputed_and_accepted_becomes_an_adjustment_in_the_next_run(
    paid_january, actual, new_amount, adjustment
):
    org, hr, first_run = paid_january
    reclose_with(org.r1, sales_actual=actual)
    r1 = commission_of(org.r1)
    assert (r1.amount, r1.recomputed_amount) == (Decimal("2800.00"), Decimal(new_amount))

    reward_accept_recomputed(suggestion_id=r1.pk, user=hr)
    second_run = payroll_run_create(user=hr)

    r1.refresh_from_db()
    assert (r1.status, r1.amount) == (APPROVED, Decimal(new_amount))
    assert [
        (row["employee_no"], row["amount"], row["line_kind"], row["original_run_id"]) for row in rows_of(second_run)
    ] == [("R1", adjustment, "adjustment", str(first_run.pk))]
    # the first run is unchanged, byte for byte
    assert first_run.lines.get(reward=r1).amount == Decimal("2800.00")
    assert hashlib.sha256(bytes(PayrollRun.objects.get(pk=first_run.pk).file)).hexdigest() == first_run.sha256


def test_a_paid_reward_that_disappears_on_reclose_is_taken_back_in_full(paid_january):
    org, hr, _first_run = paid_january
    reclose_with(org.r2, sales_actual=None)  # R2's sales were booked in error
    r2 = commission_of(org.r2)
    assert r2.recomputed_amount == Decimal("0.00")

    reward_accept_recomputed(suggestion_id=r2.pk, user=hr)
    second_run = payroll_run_create(user=hr)

    r2.refresh_from_db()
    assert r2.status == REJECTED and "recomputed to 0.00" in r2.reason
    assert [(row["employee_no"], row["amount"], row["line_kind"]) for row in rows_of(second_run)] == [
        ("R2", "-1800.00", "adjustment")
    ]


def test_an_adjustment_is_paid_once(paid_january):
    org, hr, _first_run = paid_january
    reclose_with(org.r1, sales_actual="130000")
    reward_accept_recomputed(suggestion_id=commission_of(org.r1).pk, user=hr)
    payroll_run_create(user=hr)

    with pytest.raises(PayrollRefused):
        payroll_run_create(user=hr)
    assert PayrollAdjustment.objects.get().line is not None


def test_an_unpaid_approved_reward_recomputed_goes_back_to_pending_without_adjustment():
    org = small_org(months=("2026-01",))
    close_period("2026-01")
    hr = hr_user()
    r1 = commission_of(org.r1)
    rewards_decide(suggestion_ids=[r1.pk], decision=APPROVED, user=hr)
    reclose_with(org.r1, sales_actual="130000")

    reward_accept_recomputed(suggestion_id=r1.pk, user=hr)

    r1.refresh_from_db()
    assert (r1.status, r1.amount) == (PENDING, Decimal("3200.00"))
    assert not PayrollAdjustment.objects.exists()


# --------------------------------------------------------------------------- the command


def test_the_command_dry_run_shows_the_lines_and_makes_nothing(capsys):
    reward(amount="100.00", status=APPROVED)

    call_command("payroll_run", "--dry-run")

    out = capsys.readouterr()
    assert "Dry run: 1 lines, 100.00 in all; no run was made." in out.err
    assert next(iter(csv.DictReader(io.StringIO(out.out))))["amount"] == "100.00"
    assert not PayrollRun.objects.exists()


def test_the_command_writes_the_run_file_and_refuses_an_empty_run(tmp_path, capsys):
    reward(amount="100.00", status=APPROVED)
    target = tmp_path / "run.xlsx"

    call_command("payroll_run", "--format", "xlsx", "-o", str(target))

    run = PayrollRun.objects.get()
    assert target.read_bytes() == bytes(run.file)
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="nothing to pay"):
        call_command("payroll_run")
