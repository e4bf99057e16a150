"""The English UI: Japanese is the default; choosing English with the language button
(POST /i18n/setlang/) shows the pages in English; the catalogue is complete and compiled.

The msgids are the Japanese strings themselves (locale/en/LC_MESSAGES/django.po).
"""

from __future__ import annotations

import gettext
import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from schools import calendar
from schools.models import SchoolDate
from tests import factories
from tests.attendance.helpers import setup_class
from tests.conftest import PASSWORD

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO = CATALOGUE / "django.po"
MO = CATALOGUE / "django.mo"
needs_msgfmt = pytest.mark.skipif(
    shutil.which("msgfmt") is None,
    reason="GNU gettext's msgfmt is not installed (apt-get install gettext)",
)


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


def choose_language(client, language: str, next_url: str = "/") -> None:
    """Press the language button in the header, as a user does."""
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response.url == next_url


# --- through the middleware --------------------------------------------------------------


def test_japanese_is_the_default(client_for, muni):
    response = client_for(muni).get("/login/")
    assert response.status_code == 200
    assert html_lang(response) == "ja"
    page = response.content.decode()
    assert "富士吉田市教育委員会" in page
    assert "ログインID" in page and "パスワード" in page
    assert 'lang="en">English</button>' in page  # the way to English is offered


def test_a_browser_set_to_english_still_gets_japanese_until_the_user_chooses(client_for, muni):
    client = client_for(muni)
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ja">' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in page


def test_login_page_in_english(client_for, muni):
    client = client_for(muni)
    choose_language(client, "en", "/login/")
    response = client.get("/login/")
    assert html_lang(response) == "en"
    page = response.content.decode()
    assert "富士吉田市 Board of Education" in page
    assert '<label for="id_username">Login ID</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert ">Log in</button>" in page
    assert "ログインID" not in page
    assert 'lang="ja">日本語</button>' in page  # and the way back


def test_wrong_password_is_told_in_english(client_for, muni):
    client = client_for(muni)
    choose_language(client, "en", "/login/")
    response = client.post("/login/", {"username": "boe-admin", "password": "wrong"})
    assert response.status_code == 200
    assert "Incorrect login ID or password." in response.content.decode()


def test_logged_in_home_page_in_english(client_for, muni, boe_admin):
    client = client_for(muni, boe_admin)
    choose_language(client, "en")
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    page = response.content.decode()
    for label in ("Board of Education administration", "School years", "Staff accounts"):
        assert label in page
    assert ">Log out</button>" in page
    assert "Skip to content" in page
    assert "ログアウト" not in page and "教職員アカウント" not in page


def test_daily_attendance_entry_in_english(client_for, muni):
    """The page a homeroom teacher uses every morning."""
    year, school, classroom, enrolments = setup_class(3)
    teacher = factories.homeroom_teacher(classroom)
    client = client_for(muni, teacher.user)
    url = f"/attendance/class/{classroom.pk}/day/2026-06-01/"
    choose_language(client, "en", url)
    response = client.get(url)
    assert response.status_code == 200
    assert html_lang(response) == "en"
    page = response.content.decode()
    for label in ("Attendance entry", "Previous school day", "Enrolled", "Present", "Absent"):
        assert label in page
    assert ">Save" in page
    assert enrolments[0].student.name in page  # names stay as written
    assert "前の授業日" not in page and "出欠入力" not in page
    assert "Attendance register (June)" in page and ">Go</button>" in page


def test_daily_pages_in_english(client_for, muni):
    """The menu, the home card, the score grid and a pupil's page of a day at school, in
    English: labels translated, pupils' and subjects' names as written."""
    setup = factories.gradebook_class(students=3)
    calendar.rebuild_calendar(setup.school, setup.classroom.school_year)
    principal = client_for(muni, setup.admin.user)
    choose_language(principal, "en")
    home = principal.get("/").content.decode()
    menu = home[home.index('class="mainnav"') : home.index("</nav>")]
    for label in ("Today", "Schools", "Attendance", "Grades", "Timetable"):
        assert f">{label}</a>" in menu
    assert "学校・名簿" not in menu and "時間割" not in menu
    assert "Classes that have not entered today's attendance" in home
    school_day = SchoolDate.objects.filter(
        school=setup.school, date=timezone.localdate(), is_school_day=True
    ).exists()
    assert ("1 class</span> / of 1 class" if school_day else "Today is not a school day.") in home

    grid = principal.get(
        f"/grades/grid/{setup.classroom.pk}/{setup.subject.pk}/{setup.term.pk}/"
    ).content.decode()
    assert "Thresholds: A ≧ " in grid and "%、B" not in grid  # whole English sentences
    assert "知 = knowledge and skills" in grid and setup.subject.name in grid

    student = setup.students[0]
    teacher = client_for(muni, setup.homeroom.user)
    choose_language(teacher, "en")
    page = teacher.get(f"/roster/students/{student.pk}/").content.decode()
    assert '<html lang="en">' in page
    for label in ("Attendance this school year", "as of ", "Days present", "Days absent"):
        assert label in page
    assert "Grades this school year (by term)" in page and student.name in page
    assert "出席日数" not in page and "今年度の出欠" not in page


def test_board_overview_in_english(client_for, muni, boe_admin):
    """The columns the apps add to 学校の状況 are built in Python: they are translated too."""
    year = factories.school_year(2026)
    school = factories.school()
    classroom = factories.classroom(school, year, grade=1)
    factories.students(classroom, 2)
    calendar.rebuild_calendar(school, year)
    factories.term(school, year, 1)
    client = client_for(muni, boe_admin)
    choose_language(client, "en")
    page = html.unescape(client.get("/roster/overview/").content.decode())
    for label in (
        "Schools overview",
        "Today's attendance",
        "Long-term absence",
        "Grade finalisation",
        "30+ days absent: 0",
        "Finalised 0/1 classes",
    ):
        assert label in page
    assert "長期欠席" not in page and "学級" not in page.replace(classroom.label, "")


def test_switching_back_to_japanese(client_for, muni, boe_admin):
    client = client_for(muni, boe_admin)
    choose_language(client, "en")
    assert html_lang(client.get("/")) == "en"
    choose_language(client, "ja")
    response = client.get("/")
    assert html_lang(response) == "ja"
    assert "教育委員会の管理" in response.content.decode()


def test_language_choice_is_per_browser(client_for, muni, boe_admin):
    """One user choosing English changes nothing for anyone else."""
    english = client_for(muni, boe_admin)
    choose_language(english, "en")
    assert html_lang(english.get("/")) == "en"
    assert html_lang(client_for(muni, boe_admin).get("/")) == "ja"


def test_unknown_language_is_ignored(client_for, muni):
    client = client_for(muni)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/login/"})
    assert html_lang(client.get("/login/")) == "ja"


# --- the catalogue -----------------------------------------------------------------------


def po_entries(text: str) -> list[dict[str, object]]:
    """A small .po reader: msgid, msgstr (or msgstr[n]) and flags of every live entry."""
    entries: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        entry: dict[str, object] = {"flags": set(), "msgstr": {}}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = _unquote(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += value
                else:
                    entry[key] += value
            else:
                name, _, rest = line.partition(" ")
                value = _unquote(rest)
                if name.startswith("msgstr"):
                    index = int(name[7:-1]) if "[" in name else 0
                    entry["msgstr"][index] = value
                    key = index
                else:
                    entry[name] = value
                    key = name
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _unquote(quoted: str) -> str:
    return quoted.strip()[1:-1].encode("raw_unicode_escape").decode("unicode_escape")


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = po_entries(PO.read_text(encoding="utf-8"))
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Language: en" in header["msgstr"][0]
    assert len(messages) > 400
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    plurals = [e for e in messages if "msgid_plural" in e]
    assert all(len(e["msgstr"]) == 2 for e in plurals)


def test_placeholders_are_kept():
    """%(name)s and {name} reach the English text unchanged (and no Japanese is left)."""
    placeholder = re.compile(r"%\(\w+\)s|%%|\{\w+\}")
    for entry in po_entries(PO.read_text(encoding="utf-8"))[1:]:
        expected = sorted(placeholder.findall(entry["msgid"]))
        for text in entry["msgstr"].values():
            assert sorted(placeholder.findall(text)) == expected, entry["msgid"]


@needs_msgfmt
def test_msgfmt_accepts_the_catalogue():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr


@needs_msgfmt
def test_compiled_catalogue_is_up_to_date(tmp_path):
    """django.mo (committed, so that installs need no gettext) matches django.po."""
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        stale = gettext.GNUTranslations(committed)._catalog
        assert stale == gettext.GNUTranslations(compiled)._catalog, (
            "run: .venv/bin/python manage.py compilemessages -l en --ignore '.venv/*'"
        )


# --- in the browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_english_in_the_browser(page, live_url):
    """A Japanese-locale tablet presses 「English」, logs in and sees its home page in English."""
    page.goto(live_url("tama") + "/login/")
    assert page.evaluate("document.documentElement.lang") == "ja"
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text().startswith("多摩市 Board of Education")
    page.get_by_label("Login ID").fill("boe-admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_url("tama") + "/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Board of Education administration" in page.locator("main").inner_text()
    page.get_by_role("link", name="Staff accounts").first.click()
    page.get_by_role("button", name="日本語").click()
    page.wait_for_function("document.documentElement.lang === 'ja'")
    assert page.locator("h1").inner_text() == "教職員アカウント"
