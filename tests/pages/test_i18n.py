"""Simplified Chinese: the catalogue is complete and compiled, and the pages speak Chinese when asked.

The catalogue is read with a small parser (no polib) and compared with the committed .mo
through the standard library's ``gettext``, so these tests need no gettext tools.
"""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext, ngettext, npgettext, pgettext

from appraisals.models import BandDefinition, KpiDefinition, Period
from appraisals.selectors import policy_version_for
from appraisals.services import metrics_import
from closing.services import CloseRefused, period_reopen
from roles.models import Role
from roles.services import employees_import
from sales_perf.tabular import ImportFailed
from tests.builders import close_period
from tests.roles.person_fixtures import closed, hr_user, make_org, scorecard

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
# The navigation of base.html and the HR console's own menu, in English.
ENGLISH_NAV = ("My performance", "My team", "Scorecards", "HR console", "Log out", "Skip to content")
HR_NAV_ZH = ("概览", "数据导入", "期间", "奖励", "奖金名单", "考核政策")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%%|%[sd]|\{[a-z_]*\}")


@pytest.fixture(autouse=True)
def _language_is_restored():
    """LocaleMiddleware leaves a request's language active in the thread after the test
    client's request: put back what was active so later tests still run in English."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


# --------------------------------------------------------------------------- the catalogue


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") first; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if entry is not None and target is not None:
                entries.append(entry)
                entry, target = None, None
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if keyword in ("msgid", "msgid_plural", "msgctxt"):
                target = (keyword, 0)
            elif keyword == "msgstr" or match:
                target = ("msgstr", int(match.group(1)) if match else 0)
                entry.msgstr[target[1]] = ""
            else:
                raise AssertionError(f"{path}:{number}: cannot read {line!r}")
        assert target is not None, f"{path}:{number}: text before a keyword"
        name, index = target
        if name == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif name == "msgid":
            entry.msgid += value
        elif name == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        elif name == "msgstr":
            entry.msgstr[index] += value
    if entry is not None and target is not None:
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return read_po(PO_FILE)


def messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid]


def test_catalogue_holds_the_ui_strings(po_entries):
    ids = {entry.msgid for entry in po_entries}
    assert len(messages(po_entries)) > 500
    assert {"My performance", "Log in", "%(code)s is already closed", "unknown employee (%(value)r)"} <= ids


def test_header_declares_one_plural_form_and_utf8(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "fuzzy" not in header.flags


def test_every_message_has_a_translation(po_entries):
    untranslated = [entry.msgid for entry in messages(po_entries) if not all(entry.msgstr.values())]
    assert untranslated == []


def test_no_message_is_left_fuzzy(po_entries):
    fuzzy = [entry.msgid for entry in messages(po_entries) if "fuzzy" in entry.flags]
    assert fuzzy == []


def test_plural_messages_have_exactly_one_form(po_entries):
    wrong = [entry.msgid for entry in messages(po_entries) if entry.msgid_plural and set(entry.msgstr) != {0}]
    assert wrong == []


def test_translations_keep_every_placeholder(po_entries):
    def tokens(text: str) -> list[str]:
        return sorted(PLACEHOLDER.findall(text))

    broken = [
        (entry.msgid, form)
        for entry in messages(po_entries)
        for form in entry.msgstr.values()
        if tokens(form) != tokens(entry.msgid_plural or entry.msgid)
    ]
    assert broken == []


def test_translations_keep_leading_and_trailing_spaces(po_entries):
    broken = [
        entry.msgid
        for entry in messages(po_entries)
        for form in entry.msgstr.values()
        if (form[:1] == " ") != (entry.msgid[:1] == " ") or (form[-1:] == " ") != (entry.msgid[-1:] == " ")
    ]
    assert broken == []


def test_compiled_catalogue_matches_the_po_file(po_entries):
    """The committed .mo holds exactly the .po's translations (it was compiled after the last edit)."""
    with MO_FILE.open("rb") as mo:
        compiled = stdlib_gettext.GNUTranslations(mo)._catalog  # the parsed .mo, as a dict
    expected: dict[object, str] = {}
    for entry in messages(po_entries):
        # The .mo keys a message with a context as "context\x04msgid".
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        expected[(key, 0) if entry.msgid_plural else key] = entry.msgstr[0]
    assert {key: value for key, value in compiled.items() if key != ""} == expected


def translated(entry: Entry) -> str:
    if entry.msgctxt is not None:
        if entry.msgid_plural:
            return npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 2)
        return pgettext(entry.msgctxt, entry.msgid)
    return ngettext(entry.msgid, entry.msgid_plural, 2) if entry.msgid_plural else gettext(entry.msgid)


def test_every_message_translates_through_django(po_entries):
    with translation.override("zh-hans"):
        wrong = [entry.msgid for entry in messages(po_entries) if translated(entry) != entry.msgstr[0]]
    assert wrong == []


def test_plural_message_takes_the_single_chinese_form():
    with translation.override("zh-hans"):
        assert ngettext("%(days)s day left", "%(days)s days left", 1) % {"days": 1} == "还剩 1 天"
        assert ngettext("%(days)s day left", "%(days)s days left", 12) % {"days": 12} == "还剩 12 天"


# --------------------------------------------------------------------------- pages


def squash(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def org(db):
    org = make_org()
    # R01's last closed month, written the way the close writes it (band C).
    scorecard(org.r01, "2026-01", composite="91.71", band="C")
    scorecard(org.s01, "2026-01", composite="112.00", band="A", kpis={})
    return org


def kpi_label_zh(code: str, period_code: str = "2026-01") -> str:
    version = policy_version_for(Period.objects.get(code=period_code))
    return KpiDefinition.objects.get(policy_version=version, role__code=Role.REP, code=code).label_zh


def band_label_zh(letter: str, period_code: str = "2026-01") -> str:
    version = policy_version_for(Period.objects.get(code=period_code))
    return BandDefinition.objects.get(policy_version=version, letter=letter).label_zh


def test_rep_page_is_in_chinese_for_a_chinese_browser(client, org):
    client.force_login(org.r01.user)
    page = squash(client.get("/me/", **CHINESE))
    assert '<html lang="zh-hans">' in page
    assert "销售代表" in page
    assert "我的绩效" in page
    assert "退出登录" in page
    assert "最近结账月份 2026-01" in page
    assert kpi_label_zh("R1") in page
    assert band_label_zh("C") == "合格"
    assert "合格" in page
    assert "综合得分" in page


def test_rep_page_has_no_english_navigation_in_chinese(client, org):
    client.force_login(org.r01.user)
    page = squash(client.get("/me/", **CHINESE))
    assert [label for label in ENGLISH_NAV if label in page] == []
    assert "Sales Representative" not in page


def test_manager_team_page_is_in_chinese(client, org):
    client.force_login(org.m01.user)
    page = squash(client.get("/team/?period=2026-01", **CHINESE))
    assert "我的绩效" in page
    assert "我的团队" in page
    assert "哪些人需要我关注？" in page
    assert "销售代表" in page
    assert "销售主管" in page
    assert "各等级人数" in page
    assert [label for label in ENGLISH_NAV if label in page] == []
    assert "Sales Supervisor" not in page


def test_hr_console_is_in_chinese(client, org):
    client.force_login(hr_user())
    page = squash(client.get("/hr/", **CHINESE))
    assert "人力资源工作台" in page
    assert "考核表" in page
    assert all(label in page for label in HR_NAV_ZH)
    assert [label for label in (*ENGLISH_NAV, "Overview", "Imports", "Bonus list") if label in page] == []


def test_english_stays_the_default_for_an_english_browser(client, org):
    client.force_login(org.r01.user)
    page = squash(client.get("/me/", **ENGLISH))
    assert '<html lang="en">' in page
    assert "My performance" in page
    assert "Sales Representative" in page
    assert "我的绩效" not in page


def test_english_is_the_default_without_accept_language(client, org):
    client.force_login(org.r01.user)
    page = squash(client.get("/me/"))
    assert "My performance" in page
    assert "我的绩效" not in page


def test_language_switcher_turns_an_english_browser_chinese_and_back(client, org):
    client.force_login(org.r01.user)
    assert "My performance" in squash(client.get("/me/", **ENGLISH))

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/me/"}, **ENGLISH)
    assert response.status_code == 302
    assert response.url == "/me/"
    chinese = squash(client.get("/me/", **ENGLISH))
    assert "我的绩效" in chinese
    assert "My performance" not in chinese

    client.post("/i18n/setlang/", {"language": "en", "next": "/me/"}, **ENGLISH)
    english = squash(client.get("/me/", **ENGLISH))
    assert "My performance" in english
    assert "我的绩效" not in english


def test_login_page_is_translated(client, db):
    page = squash(client.get("/accounts/login/", **CHINESE))
    assert '<h1 class="h4 mb-3">登录</h1>' in page
    assert "销售绩效" in page
    assert "用户名" in page  # Django's own catalogue labels the form
    assert "Log in" not in page


def test_login_page_is_english_by_default(client, db):
    page = squash(client.get("/accounts/login/", **ENGLISH))
    assert "Log in" in page
    assert "登录" not in page


# --------------------------------------------------------------------------- messages from services


def test_close_refusal_is_in_chinese_when_chinese_is_active(db):
    closed("2026-01")
    with translation.override("zh-hans"), pytest.raises(CloseRefused, match=r"^2026-01 已结账$"):
        close_period("2026-01")


def test_close_refusal_stays_english_by_default(db):
    closed("2026-01")
    with pytest.raises(CloseRefused, match=r"^2026-01 is already closed$"):
        close_period("2026-01")


def test_reopen_refusal_is_in_chinese(db):
    with translation.override("zh-hans"), pytest.raises(CloseRefused, match="重新开启期间必须填写原因"):
        period_reopen(code="2026-01", reason=" ")


def test_quarter_refusal_names_the_open_months_in_chinese(db):
    closed("2026-01")
    with translation.override("zh-hans"), pytest.raises(CloseRefused) as refused:
        close_period("2026-Q1")
    assert "2026-02, 2026-03 结账之前，2026-Q1 不能结账" in str(refused.value)


def test_metrics_import_row_errors_are_in_chinese(db):
    text = "employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n"
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        metrics_import(source=text.encode(), filename="metrics.csv")
    assert [(error.line, error.field, error.reason) for error in failed.value.errors] == [
        (2, "employee_no", "未知员工（'NOBODY'）")
    ]
    with translation.override("zh-hans"):
        assert failed.value.message == "1 行有误"


def test_metrics_import_row_errors_stay_english_by_default(db):
    text = "employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n"
    with pytest.raises(ImportFailed) as failed:
        metrics_import(source=text.encode(), filename="metrics.csv")
    assert failed.value.errors[0].reason == "unknown employee ('NOBODY')"


def test_employee_import_header_errors_are_in_chinese(db):
    text = "employee_no,name,colour\n"
    with translation.override("zh-hans"), pytest.raises(ImportFailed) as failed:
        employees_import(source=text.encode(), filename="employees.csv")
    reasons = {(error.field, error.reason) for error in failed.value.errors}
    assert ("colour", "未知列") in reasons
    assert ("email", "缺少列") in reasons


def test_imports_page_lists_bad_rows_in_chinese(client, db):
    client.force_login(hr_user())
    upload = SimpleUploadedFile(
        "metrics.csv", b"employee_no,period,metric,value\nNOBODY,2026-01,sales_actual,12\n", content_type="text/csv"
    )
    response = client.post("/hr/imports/", {"kind": "metrics", "metrics-file": upload}, **CHINESE)
    page = squash(response)
    assert response.status_code == 200
    assert "metrics.csv：1 行有误 — 未导入任何数据。" in page
    assert "未知员工（&#x27;NOBODY&#x27;）" in page
