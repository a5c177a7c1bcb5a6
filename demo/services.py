"""Demo data: a plausible sales org with months of metrics, for demos, manual testing and benchmarks.

``demo_seed`` is the service behind ``manage.py seed_demo``. It is deterministic for a seed
(one ``random.Random``, a fixed iteration order, no clock reads: the caller passes the last
month) and writes in bulk, so its query count does not grow with headcount: employees go in
with ``bulk_create`` level by level (managers, then supervisors, then reps, so ``reports_to``
is known on insert) and metric values stream into PostgreSQL through one ``COPY``; on other
databases they go through ``executemany`` in chunks of 50,000 rows.

Demo rows are recognised by their e-mail domain (``DEMO_EMAIL_DOMAIN``), so ``demo_reset`` never
touches employees or logins that someone imported or created by hand.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import MONTH, PeriodRef
from roles.models import Employee, Role
from sales_perf.bulk import insert_rows

DEMO_EMAIL_DOMAIN = "demo.example.com"
HR_GROUP = "HR"

# A manager leads about this many supervisors, a supervisor about this many reps.
SUPERVISORS_PER_MANAGER = 8
REPS_PER_SUPERVISOR = 8

Progress = Callable[[str], None]


class DemoSeedError(Exception):
    """The demo data cannot be written as asked; the message says why, in one line."""


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    description: str
    # The role of the employee the login is linked to; empty for hr and admin.
    employee_role: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    in_hr_group: bool = False


# The documented demo passwords (README, the command's output). Demo only: never on a real database.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin-demo-pass", "superuser", is_staff=True, is_superuser=True),
    DemoLogin("hr", "hr-demo-pass", "HR (HR group, admin site)", is_staff=True, in_hr_group=True),
    DemoLogin("manager", "manager-demo-pass", "the first manager", employee_role=Role.MANAGER),
    DemoLogin("supervisor", "supervisor-demo-pass", "the manager's first supervisor", employee_role=Role.SUPERVISOR),
    DemoLogin("rep", "rep-demo-pass", "the supervisor's first rep", employee_role=Role.REP),
)


@dataclass(frozen=True)
class DemoLinkedLogin(DemoLogin):
    """A demo login as seeded: with the employee it is linked to (none for hr and admin)."""

    employee_no: str = ""
    employee_name: str = ""


@dataclass(frozen=True)
class DemoSeedResult:
    managers: int
    supervisors: int
    reps: int
    periods: tuple[str, ...]
    metric_values: int
    logins: tuple[DemoLinkedLogin, ...]
    reset_employees: int = 0
    reset_metric_values: int = 0

    @property
    def employees(self) -> int:
        return self.managers + self.supervisors + self.reps


# --- names ------------------------------------------------------------------------------------

# Common surnames with their pinyin (Lyu is the passport spelling of 吕).
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
    ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("袁", "Yuan"),
    ("潘", "Pan"), ("于", "Yu"), ("蒋", "Jiang"), ("蔡", "Cai"), ("余", "Yu"), ("杜", "Du"),
    ("叶", "Ye"), ("程", "Cheng"), ("苏", "Su"), ("魏", "Wei"), ("吕", "Lyu"), ("丁", "Ding"),
    ("任", "Ren"), ("沈", "Shen"), ("姚", "Yao"), ("卢", "Lu"), ("姜", "Jiang"), ("崔", "Cui"),
    ("钟", "Zhong"), ("谭", "Tan"), ("陆", "Lu"), ("汪", "Wang"), ("范", "Fan"), ("金", "Jin"),
    ("石", "Shi"), ("廖", "Liao"), ("贾", "Jia"), ("夏", "Xia"), ("韦", "Wei"), ("付", "Fu"),
    ("方", "Fang"), ("白", "Bai"), ("邹", "Zou"), ("孟", "Meng"), ("熊", "Xiong"), ("秦", "Qin"),
    ("邱", "Qiu"), ("江", "Jiang"), ("尹", "Yin"), ("薛", "Xue"), ("闫", "Yan"), ("段", "Duan"),
    ("雷", "Lei"), ("侯", "Hou"), ("龙", "Long"), ("史", "Shi"), ("陶", "Tao"), ("黎", "Li"),
    ("贺", "He"), ("顾", "Gu"), ("毛", "Mao"), ("郝", "Hao"), ("龚", "Gong"), ("邵", "Shao"),
    ("万", "Wan"), ("钱", "Qian"), ("严", "Yan"), ("武", "Wu"), ("戴", "Dai"), ("莫", "Mo"),
    ("孔", "Kong"), ("向", "Xiang"), ("汤", "Tang"), ("欧阳", "Ouyang"), ("司马", "Sima"), ("上官", "Shangguan"),
)  # fmt: skip

# Characters common in given names, with their pinyin; one or two make a given name.
GIVEN_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀", "Xiu"),
    ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂", "Gui"), ("英", "Ying"), ("华", "Hua"),
    ("玉", "Yu"), ("兰", "Lan"), ("文", "Wen"), ("辉", "Hui"), ("建", "Jian"), ("国", "Guo"),
    ("鹏", "Peng"), ("宇", "Yu"), ("浩", "Hao"), ("婷", "Ting"), ("雪", "Xue"), ("琳", "Lin"),
    ("晨", "Chen"), ("欣", "Xin"), ("怡", "Yi"), ("佳", "Jia"), ("子", "Zi"), ("萱", "Xuan"),
    ("梓", "Zi"), ("涵", "Han"), ("轩", "Xuan"), ("睿", "Rui"), ("博", "Bo"), ("思", "Si"),
    ("雨", "Yu"), ("泽", "Ze"), ("嘉", "Jia"), ("俊", "Jun"), ("晓", "Xiao"), ("海", "Hai"),
    ("志", "Zhi"), ("红", "Hong"), ("梅", "Mei"), ("莉", "Li"), ("颖", "Ying"), ("慧", "Hui"),
    ("凯", "Kai"), ("斌", "Bin"), ("宁", "Ning"), ("安", "An"), ("欢", "Huan"), ("悦", "Yue"),
    ("彤", "Tong"), ("诗", "Shi"), ("天", "Tian"), ("新", "Xin"), ("立", "Li"), ("成", "Cheng"),
    ("峰", "Feng"), ("亮", "Liang"), ("飞", "Fei"), ("晶", "Jing"), ("倩", "Qian"), ("雅", "Ya"),
    ("琪", "Qi"), ("瑶", "Yao"), ("昊", "Hao"), ("然", "Ran"), ("恩", "En"), ("鑫", "Xin"),
    ("毅", "Yi"), ("荣", "Rong"), ("波", "Bo"), ("楠", "Nan"), ("瑞", "Rui"), ("航", "Hang"),
)  # fmt: skip


@dataclass
class _Person:
    employee_no: str
    role: str
    name: str
    given_pinyin: str
    surname_pinyin: str
    email: str
    hire_date: date
    boss: int | None = None  # index into the people list
    quarterly_bonus_base: Decimal | None = None
    annual_bonus_base: Decimal | None = None
    user_id: int | None = None
    pk: int | None = field(default=None, repr=False)


def _given_name(rng: random.Random) -> tuple[str, str]:
    first_zh, first_py = rng.choice(GIVEN_SYLLABLES)
    if rng.random() < 0.3:
        return first_zh, first_py
    second_zh, second_py = rng.choice(GIVEN_SYLLABLES)
    # Pinyin marks a syllable break before a, o, e (Xiao'an).
    joiner = "'" if second_py[0] in "AOE" else ""
    return first_zh + second_zh, first_py + joiner + second_py.lower()


def demo_org_size(employees: int) -> tuple[int, int, int]:
    """Managers, supervisors and reps for a headcount: about 1 : 8 : 64, at least one of each."""
    if employees < 3:
        raise DemoSeedError("the demo org needs at least 3 employees (a manager, a supervisor and a rep)")
    managers = max(1, round(employees / (1 + SUPERVISORS_PER_MANAGER * (1 + REPS_PER_SUPERVISOR))))
    supervisors = max(1, round((employees - managers) / (1 + REPS_PER_SUPERVISOR)))
    supervisors = min(supervisors, employees - managers - 1)
    return managers, supervisors, employees - managers - supervisors


def _employee_numbers(managers: int, supervisors: int, reps: int) -> list[tuple[str, str]]:
    return (
        [(f"M{n:04d}", Role.MANAGER) for n in range(1, managers + 1)]
        + [(f"S{n:05d}", Role.SUPERVISOR) for n in range(1, supervisors + 1)]
        + [(f"R{n:05d}", Role.REP) for n in range(1, reps + 1)]
    )


def _org_people(rng: random.Random, *, employees: int, first_month: date) -> list[_Person]:
    """The org in memory, top-down; each level's members split into contiguous, even teams."""
    managers, supervisors, reps = demo_org_size(employees)
    # Years of service before the first seeded month, by role.
    tenure_days = {Role.MANAGER: (3 * 365, 15 * 365), Role.SUPERVISOR: (540, 10 * 365), Role.REP: (30, 6 * 365)}
    emails_taken: dict[str, int] = {}
    people: list[_Person] = []
    for index, (employee_no, role) in enumerate(_employee_numbers(managers, supervisors, reps)):
        surname_zh, surname_py = rng.choice(SURNAMES)
        given_zh, given_py = _given_name(rng)
        local = f"{given_py}.{surname_py}".lower().replace("'", "")
        emails_taken[local] = emails_taken.get(local, 0) + 1
        if emails_taken[local] > 1:
            local = f"{local}{emails_taken[local]}"
        low, high = tenure_days[role]
        person = _Person(
            employee_no=employee_no,
            role=role,
            name=f"{surname_zh}{given_zh} {surname_py} {given_py}",
            given_pinyin=given_py,
            surname_pinyin=surname_py,
            email=f"{local}@{DEMO_EMAIL_DOMAIN}",
            hire_date=first_month - timedelta(days=rng.randint(low, high)),
        )
        # Most people take the policy default bonus base; a few have their own.
        if role == Role.SUPERVISOR and rng.random() < 0.15:
            person.quarterly_bonus_base = Decimal(rng.choice(("5000.00", "7000.00", "8000.00", "9000.00")))
        if role == Role.MANAGER and rng.random() < 0.2:
            person.annual_bonus_base = Decimal(rng.choice(("50000.00", "80000.00", "100000.00")))
        if role == Role.SUPERVISOR:
            person.boss = (index - managers) * managers // supervisors
        elif role == Role.REP:
            person.boss = managers + (index - managers - supervisors) * supervisors // reps
        people.append(person)
    return people


# --- periods and metrics ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPeriods:
    months: tuple[PeriodRef, ...]
    # Quarters that end inside the months: they get every quarterly metric.
    quarters: tuple[PeriodRef, ...]
    # The quarter before the first month's quarter: market_share only, so M5 has a baseline.
    baseline_quarter: PeriodRef

    @property
    def all(self) -> tuple[PeriodRef, ...]:
        return (*self.months, self.baseline_quarter, *self.quarters)


def demo_periods(*, end: PeriodRef, months: int) -> DemoPeriods:
    if end.kind != MONTH:
        raise DemoSeedError(f"the last month must be a month (YYYY-MM), not {end.code}")
    if months < 1:
        raise DemoSeedError("--months must be at least 1")
    month_refs = [end]
    while len(month_refs) < months:
        month_refs.append(month_refs[-1].previous())
    month_refs.reverse()
    in_range = set(month_refs)
    quarters = sorted({m.parent_quarter() for m in month_refs if m.parent_quarter().months()[-1] in in_range})
    return DemoPeriods(
        months=tuple(month_refs),
        quarters=tuple(quarters),
        baseline_quarter=month_refs[0].parent_quarter().previous(),
    )


@dataclass(frozen=True)
class _Range:
    """One metric's valid values from the catalogue, and how many decimals the demo writes."""

    low: float
    high: float | None
    places: int

    def text(self, value: float) -> str:
        if value < self.low:
            value = self.low
        elif self.high is not None and value > self.high:
            value = self.high
        return f"{value:.{self.places}f}"


_PLACES_BY_UNIT = {Metric.Unit.MONEY: 2, Metric.Unit.COUNT: 0, Metric.Unit.RATING: 1, Metric.Unit.PERCENT: 1}
_SEEDED_METRICS = (
    "sales_target",
    "sales_actual",
    "new_customers",
    "new_customer_target",
    "customers_start",
    "customers_retained",
    "csat",
    "collaboration",
    "skill_growth",
    "team_efficiency",
    "market_share",
)


def _metric_ranges() -> dict[str, _Range]:
    ranges = {
        metric.code: _Range(
            low=float(metric.min_value),
            high=float(metric.max_value) if metric.max_value is not None else None,
            places=0 if metric.integer_only else _PLACES_BY_UNIT.get(metric.unit, 2),
        )
        for metric in Metric.objects.filter(code__in=_SEEDED_METRICS)
    }
    missing = [code for code in _SEEDED_METRICS if code not in ranges]
    if missing:
        raise DemoSeedError(f"the metric catalogue lacks {', '.join(missing)}; run the migrations")
    return ranges


def _rating(rng: random.Random, mean: float) -> float:
    return round(rng.gauss(mean, 0.3), 1)


def _metric_rows(
    rng: random.Random,
    *,
    people: list[_Person],
    periods: DemoPeriods,
    period_ids: dict[str, int],
    ranges: dict[str, _Range],
    progress: Progress,
) -> Iterator[tuple[int, int, str, str]]:
    """(employee id, period id, metric, value text) for every demo employee, in a fixed order."""
    text = {code: r.text for code, r in ranges.items()}
    month_ids = [(period_ids[m.code], m.number) for m in periods.months]
    quarter_ids = [period_ids[q.code] for q in periods.quarters]
    baseline_id = period_ids[periods.baseline_quarter.code]
    # Targets run a little higher at the end of a quarter and in Q4.
    season = {
        1: 0.92,
        2: 0.88,
        3: 1.02,
        4: 0.96,
        5: 0.98,
        6: 1.05,
        7: 0.95,
        8: 0.97,
        9: 1.06,
        10: 1.0,
        11: 1.05,
        12: 1.12,
    }
    step = max(1, len(people) // 10)
    for done, person in enumerate(people, start=1):
        pk = person.pk
        if person.role == Role.REP:
            skill = min(1.45, max(0.65, rng.gauss(1.02, 0.12)))
            base_target = rng.randint(80, 300) * 1000
            new_customer_base = rng.randint(2, 8)
            customers = rng.randint(15, 120)
            churn = rng.uniform(0.02, 0.12)
            csat_mean = rng.uniform(3.3, 4.7)
            for period_id, month in month_ids:
                target = min(300_000, max(80_000, round(base_target * season[month] * rng.uniform(0.95, 1.05), -3)))
                yield pk, period_id, "sales_target", text["sales_target"](target)
                # Now and then nobody records a sale for the month.
                if rng.random() >= 0.015:
                    achievement = skill * rng.lognormvariate(0.0, 0.14)
                    if rng.random() < 0.03:  # a big deal lands
                        achievement *= rng.uniform(1.3, 1.8)
                    yield pk, period_id, "sales_actual", text["sales_actual"](target * achievement)
                new_customer_target = max(1, new_customer_base + rng.randint(-1, 1))
                new_customers = max(0, round(rng.gauss(new_customer_target * skill, 1.3)))
                yield pk, period_id, "new_customer_target", text["new_customer_target"](new_customer_target)
                yield pk, period_id, "new_customers", text["new_customers"](new_customers)
                start = text["customers_start"](customers)
                lost = min(customers, round(customers * churn * rng.uniform(0.3, 1.7)))
                # Retained never exceeds start, even where the catalogue's range clamps start.
                retained = text["customers_retained"](min(customers - lost, float(start)))
                yield pk, period_id, "customers_start", start
                yield pk, period_id, "customers_retained", retained
                yield pk, period_id, "csat", text["csat"](round(rng.gauss(csat_mean, 0.25), 1))
                customers = customers - lost + new_customers
            collaboration, skill_growth = rng.uniform(3.0, 4.8), rng.uniform(3.0, 4.8)
            for period_id in quarter_ids:
                yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
                yield pk, period_id, "skill_growth", text["skill_growth"](_rating(rng, skill_growth))
        elif person.role == Role.SUPERVISOR:
            collaboration, efficiency = rng.uniform(3.2, 4.8), rng.uniform(3.0, 4.8)
            for period_id in quarter_ids:
                yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
                yield pk, period_id, "team_efficiency", text["team_efficiency"](_rating(rng, efficiency))
        else:
            collaboration = rng.uniform(3.4, 4.8)
            # Market share drifts slowly, mostly upwards.
            share = rng.uniform(4.0, 30.0)
            yield pk, baseline_id, "market_share", text["market_share"](share)
            for period_id in quarter_ids:
                share = min(100.0, max(0.0, share + rng.gauss(0.3, 0.7)))
                yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
                yield pk, period_id, "market_share", text["market_share"](share)
        if done % step == 0 or done == len(people):
            progress(f"metric values: {done:,}/{len(people):,} employees generated")


METRIC_VALUE_COLUMNS = ("employee_id", "period_id", "metric_id", "value", "entered_at")


def _write_metric_values(rows: Iterable[tuple[int, int, str, str]], *, entered_at: dict[int, datetime]) -> int:
    """One COPY on PostgreSQL (several times faster than multi-row INSERTs), batches on SQLite."""
    return insert_rows(MetricValue, METRIC_VALUE_COLUMNS, ((*row, entered_at[row[1]]) for row in rows))


# --- logins -----------------------------------------------------------------------------------


def _demo_users(people_by_role: dict[str, _Person]) -> dict[str, int]:
    """Create or refresh the demo logins; returns username → user id."""
    user_model = get_user_model()
    existing = {
        user.username: user for user in user_model.objects.filter(username__in=[d.username for d in DEMO_LOGINS])
    }
    foreign = sorted(name for name, user in existing.items() if not user.email.endswith(f"@{DEMO_EMAIL_DOMAIN}"))
    if foreign:
        raise DemoSeedError(
            f"user(s) {', '.join(foreign)} already exist and are not demo logins; use a database without them"
        )
    # A PBKDF2 hash costs ~0.5 s and releases the GIL: on a multi-core machine, hash side by side.
    passwords = sorted({login.password for login in DEMO_LOGINS})
    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        hashes = dict(zip(passwords, pool.map(make_password, passwords), strict=True))
    to_create, to_update = [], []
    for login in DEMO_LOGINS:
        user = existing.get(login.username) or user_model(username=login.username)
        person = people_by_role.get(login.employee_role)
        user.password = hashes[login.password]
        user.email = f"{login.username}@{DEMO_EMAIL_DOMAIN}"
        if person:
            # The header shows get_full_name() ("first last"): keep the employee's own name order.
            user.first_name, user.last_name = person.name[:150], ""
        else:
            user.first_name, user.last_name = "Demo", login.username.upper() if login.in_hr_group else "Admin"
        user.is_staff = login.is_staff
        user.is_superuser = login.is_superuser
        user.is_active = True
        (to_update if user.pk else to_create).append(user)
    user_model.objects.bulk_create(to_create)
    if to_update:
        user_model.objects.bulk_update(
            to_update, ["password", "email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]
        )
        # A login links one employee at most; the new demo employee takes it over.
        Employee.objects.filter(user__in=to_update).update(user=None)
    users = {user.username: user.pk for user in [*to_create, *to_update]}
    if any(pk is None for pk in users.values()):  # databases that return no ids from bulk inserts
        users = dict(user_model.objects.filter(username__in=list(users)).values_list("username", "pk"))
    hr_group, _ = Group.objects.get_or_create(name=HR_GROUP)
    membership = user_model.groups.through
    membership.objects.bulk_create(
        [membership(user_id=users[login.username], group_id=hr_group.pk) for login in DEMO_LOGINS if login.in_hr_group],
        ignore_conflicts=True,
    )
    return users


# --- services ---------------------------------------------------------------------------------


def _demo_employees() -> QuerySet[Employee]:
    return Employee.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def demo_reset(*, progress: Progress | None = None) -> tuple[int, int]:
    """Delete the demo employees and their metric values; returns (employees, metric values) deleted.

    Refuses while anything else refers to a demo employee (a scorecard or reward after a close, a
    non-demo employee reporting to one, any table added later): those are records someone may
    rely on, and the deletes below run without the ORM's collector.
    """
    progress = progress or (lambda message: None)
    demo = _demo_employees()
    referring = []
    for relation in Employee._meta.related_objects:
        if relation.related_model is MetricValue:
            continue  # the demo's own rows, deleted below
        references = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": demo})
        if relation.related_model is Employee:
            references = references.exclude(pk__in=demo)
        if references.exists():
            referring.append(str(relation.related_model._meta.verbose_name_plural))
    if referring:
        raise DemoSeedError(
            f"{', '.join(referring)} refer to demo employees (was a period closed?); "
            "reset refused, use a fresh database instead"
        )
    with transaction.atomic():
        # No signals or cascades remain to honour (checked above), so delete in one statement
        # each rather than loading every row into a deletion collector.
        values = MetricValue.objects.filter(employee__in=demo)._raw_delete(MetricValue.objects.db)
        demo.update(reports_to=None, user=None)
        employees = demo._raw_delete(Employee.objects.db)
    progress(f"reset: deleted {employees:,} demo employees and {values:,} metric values")
    return employees, values


def demo_seed(
    *,
    end: PeriodRef,
    employees: int = 40,
    months: int = 12,
    seed: int = 42,
    reset: bool = False,
    progress: Progress | None = None,
) -> DemoSeedResult:
    """Write a demo org of ``employees`` people with ``months`` months of metrics ending at ``end``.

    The same arguments always write the same data. Refuses (``DemoSeedError``) when demo
    employees exist, unless ``reset`` deletes them first.
    """
    progress = progress or (lambda message: None)
    managers, supervisors, reps = demo_org_size(employees)
    periods = demo_periods(end=end, months=months)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        reset_counts = (0, 0)
        if reset:
            reset_counts = demo_reset(progress=progress)
        elif _demo_employees().exists():
            raise DemoSeedError("demo employees already exist; run again with --reset to replace them")
        ranges = _metric_ranges()
        roles = {role.code: role.pk for role in Role.objects.filter(code__in=[Role.MANAGER, Role.SUPERVISOR, Role.REP])}
        if len(roles) < 3:
            raise DemoSeedError("the roles manager, supervisor and rep are missing; run the migrations")

        people = _org_people(rng, employees=employees, first_month=periods.months[0].start)
        taken = set(
            Employee.objects.filter(employee_no__regex=r"^[MSR][0-9]+$")
            .exclude(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
            .values_list("employee_no", flat=True)
        ).intersection(person.employee_no for person in people)
        if taken:
            raise DemoSeedError(f"employee numbers {', '.join(sorted(taken)[:5])} … belong to non-demo employees")

        period_ids = _open_periods(periods)
        progress(f"periods: {periods.months[0].code} … {periods.months[-1].code}, {len(periods.quarters)} quarter(s)")

        first = _first_chain(people)
        users = _demo_users(first)
        for login in DEMO_LOGINS:
            if login.employee_role:
                first[login.employee_role].user_id = users[login.username]

        _insert_people(people, roles)
        progress(f"employees: managers {managers:,}, supervisors {supervisors:,}, reps {reps:,}")

        # Figures arrive the night after a period ends; those of the running month, by now.
        now = timezone.now()
        entered_at = {
            period_ids[ref.code]: min(now, datetime.combine(ref.end + timedelta(days=1), time(2, 0), tzinfo=UTC))
            for ref in periods.all
        }
        rows = _metric_rows(
            rng, people=people, periods=periods, period_ids=period_ids, ranges=ranges, progress=progress
        )
        written = _write_metric_values(rows, entered_at=entered_at)
        progress(f"metric values: {written:,} written")

    logins = tuple(
        DemoLinkedLogin(
            **asdict(login),
            employee_no=first[login.employee_role].employee_no if login.employee_role else "",
            employee_name=first[login.employee_role].name if login.employee_role else "",
        )
        for login in DEMO_LOGINS
    )
    return DemoSeedResult(
        managers=managers,
        supervisors=supervisors,
        reps=reps,
        periods=tuple(ref.code for ref in periods.all),
        metric_values=written,
        logins=logins,
        reset_employees=reset_counts[0],
        reset_metric_values=reset_counts[1],
    )


def _open_periods(periods: DemoPeriods) -> dict[str, int]:
    """Period ids by code, creating missing ones as open; refuses if any is not open."""
    codes = [ref.code for ref in periods.all]
    existing = dict(Period.objects.filter(code__in=codes).values_list("code", "status"))
    not_open = sorted(code for code, status in existing.items() if status != Period.Status.OPEN)
    if not_open:
        raise DemoSeedError(f"period(s) {', '.join(not_open)} are not open; demo metrics go into open periods only")
    Period.objects.bulk_create(
        [Period(**Period.fields_for(ref)) for ref in periods.all if ref.code not in existing], ignore_conflicts=True
    )
    return dict(Period.objects.filter(code__in=codes).values_list("code", "pk"))


def _first_chain(people: list[_Person]) -> dict[str, _Person]:
    """The first manager, that manager's first supervisor and that supervisor's first rep."""
    manager = 0
    supervisor = next(i for i, p in enumerate(people) if p.role == Role.SUPERVISOR and p.boss == manager)
    rep = next(i for i, p in enumerate(people) if p.role == Role.REP and p.boss == supervisor)
    return {Role.MANAGER: people[manager], Role.SUPERVISOR: people[supervisor], Role.REP: people[rep]}


def _insert_people(people: list[_Person], roles: dict[str, int]) -> None:
    """Insert level by level so every reports_to id is known when its rows go in."""
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.REP):
        level = [person for person in people if person.role == role]
        objs = [
            Employee(
                employee_no=person.employee_no,
                name=person.name,
                email=person.email,
                role_id=roles[role],
                reports_to_id=people[person.boss].pk if person.boss is not None else None,
                hire_date=person.hire_date,
                quarterly_bonus_base=person.quarterly_bonus_base,
                annual_bonus_base=person.annual_bonus_base,
                user_id=person.user_id,
            )
            for person in level
        ]
        Employee.objects.bulk_create(objs, batch_size=5000)
        if any(obj.pk is None for obj in objs):  # databases that return no ids from bulk inserts
            ids = dict(_demo_employees().filter(role_id=roles[role]).values_list("employee_no", "pk"))
            for obj in objs:
                obj.pk = ids[obj.employee_no]
        for person, obj in zip(level, objs, strict=True):
            person.pk = obj.pk
