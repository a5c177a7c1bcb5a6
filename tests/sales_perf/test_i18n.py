"""The Simplified Chinese catalogue (locale/zh_Hans) is complete, compiled, and what Django translates with.

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
from django.utils import translation
from django.utils.translation import gettext, ngettext, npgettext, pgettext

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%%|%[sd]|\{[a-z_]*\}")


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
