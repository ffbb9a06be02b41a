"""The Spanish catalog is complete, compiled from its current source, and
used: an operator working in Spanish gets the desk in Spanish.

The .po file is read with a small parser of our own (no polib at test time)
and the .mo with the standard library's gettext."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
CONTEXT_SEPARATOR = "\x04"


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.msgctxt}{CONTEXT_SEPARATOR}{self.msgid}" if self.msgctxt else self.msgid

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is not None:
            return [self.msgstr_plural[index] for index in sorted(self.msgstr_plural)]
        return [self.msgstr]


def _unquote(text: str) -> str:
    # A PO string is a C string literal; Python's literal syntax reads the
    # escapes it uses (\n, \t, \", \\).
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """Active entries of a PO file (obsolete `#~` entries are left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()

    def finish():
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if (
                keyword in ("msgctxt", "msgid")
                and current is not None
                and (keyword == "msgctxt" or target is None or target[0] != "msgctxt")
            ):
                finish()
            if current is None:
                current = Entry(line=number, flags=pending_flags)
                pending_flags = set()
            target = (keyword, int(index) if index is not None else None)
            _append(current, target, value)
        elif line.startswith('"') and current is not None and target is not None:
            _append(current, target, _unquote(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int | None], value: str) -> None:
    keyword, index = target
    if keyword == "msgstr" and index is not None:
        entry.msgstr_plural[index] = entry.msgstr_plural.get(index, "") + value
    elif keyword == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + value
    elif keyword == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + value
    else:
        setattr(entry, keyword, getattr(entry, keyword) + value)


def _plural_count(header: str) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header)
    assert match, "the catalog header has no Plural-Forms"
    return int(match.group(1))


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\{\s*\w+\s*\}\}")


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l es"
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def header(po_entries) -> Entry:
    return next(entry for entry in po_entries if entry.msgid == "" and not entry.msgctxt)


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    return [entry for entry in po_entries if entry.msgid != "" or entry.msgctxt]


def test_catalog_is_spanish_and_not_fuzzy(header):
    assert "Language: es\n" in header.msgstr
    assert "fuzzy" not in header.flags


def test_every_message_is_translated(messages, header):
    assert len(messages) > 100
    plurals = _plural_count(header.msgstr)
    untranslated = []
    for entry in messages:
        forms_missing = entry.msgid_plural is not None and sorted(entry.msgstr_plural) != list(
            range(plurals)
        )
        if forms_missing or not all(text.strip() for text in entry.translations):
            untranslated.append(entry.msgid)
    assert untranslated == []


def test_no_message_is_fuzzy(messages):
    assert [entry.msgid for entry in messages if "fuzzy" in entry.flags] == []


def test_translations_keep_their_placeholders(messages):
    wrong = []
    for entry in messages:
        allowed = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in entry.translations:
            used = set(PLACEHOLDER.findall(text))
            if not used <= allowed or (entry.msgid_plural is None and used != allowed):
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_compiled_catalog_matches_its_source(messages):
    """The committed .mo was compiled from the current .po: same messages,
    same translations. Run `compilemessages -l es` after editing the .po."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages -l es"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}

    expected: dict = {}
    for entry in messages:
        if entry.msgid_plural is not None:
            for index, text in entry.msgstr_plural.items():
                expected[(entry.key, index)] = text
        else:
            expected[entry.key] = entry.msgstr
    assert set(catalog) == set(expected), "the .mo is stale: run compilemessages -l es"
    stale = [key for key, text in expected.items() if catalog[key] != text]
    assert stale == [], "the .mo is stale: run compilemessages -l es"


def test_operator_working_in_spanish_gets_the_desk_in_spanish(client, operator):
    operator.language = "es"
    operator.save()
    client.force_login(operator)

    response = client.get("/desk/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert "Escritorio del operador" in page
    assert "Cerrar sesión" in page
    assert "Operator desk" not in page


def test_operator_working_in_english_keeps_the_desk_in_english(client, operator):
    client.force_login(operator)

    page = client.get("/desk/").content.decode()

    assert "Operator desk" in page
    assert "Escritorio del operador" not in page
