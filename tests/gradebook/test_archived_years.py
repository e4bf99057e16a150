"""Archived years are read-only everywhere, and finalised or archived grades are the stored ones.

Finding 3 of issue 10: 確定 and 確定取消 worked in an archived year (for a principal who also
holds the role in the current year) and rewrote its stored grades; changing the thresholds
changed archived 評定. Real HTTP (pages and API), real PostgreSQL.
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from gradebook import services
from gradebook.models import Evaluation, Finalisation, GradeChange
from schools import rollover
from schools.models import AuditEvent, Role, SchoolYear
from schools.permissions import actor_for_user
from tests import factories

API = "/api/v1/gradebook"


def _scores(setup) -> None:
    """Knowledge 79 % (B under 80 %, A under 70 %), thinking and attitude A."""
    values = {(0, 0): "79", (0, 1): "18", (0, 2): "95", (1, 0): "60", (1, 1): "9", (1, 2): "40"}
    services.save_scores(
        setup.classroom,
        setup.subject,
        setup.term,
        [
            services.CellInput(setup.students[s].pk, setup.assessments[a].pk, text)
            for (s, a), text in values.items()
        ],
        by=setup.actor(setup.teacher),
    )


def _archive_keeping_the_principal(setup) -> SchoolYear:
    """Archive the class's year (2026) and make 2027 current; the principal keeps the school in
    2027, so only the archived state (not a missing role) can refuse them."""
    old = setup.classroom.school_year
    new = factories.school_year(2027, state=SchoolYear.State.PREPARING)
    factories.give_role(setup.admin, Role.SCHOOL_ADMIN, school=setup.school, year=new)
    SchoolYear.objects.filter(pk=old.pk).update(state=SchoolYear.State.ARCHIVED)
    SchoolYear.objects.filter(pk=new.pk).update(state=SchoolYear.State.CURRENT)
    return new


def _change_thresholds(boe_user) -> None:
    boe = actor_for_user(boe_user)
    services.save_settings(None, {"threshold_a": Decimal(70), "threshold_b": Decimal(30)}, by=boe)


def _shown(setup, client) -> dict:
    """What the API, the 成績一覧表 export and the 通知表 export say of the class's grades."""
    c, t = setup.classroom.pk, setup.term.pk
    api = client.get(f"{API}/evaluations/?classroom={c}&term={t}&subject={setup.subject.pk}")
    assert api.status_code == 200, api.content
    api_class = client.get(f"{API}/evaluations/?classroom={c}&term={t}")
    lists = client.get(f"/grades/classes/{c}/terms/{t}/grades.xlsx")
    cards = client.get(f"/grades/classes/{c}/terms/{t}/report-cards.xlsx?layout=row")
    assert lists.status_code == 200 and cards.status_code == 200

    def sheet_values(response) -> list:
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return [list(r) for ws in book.worksheets for r in ws.iter_rows(values_only=True)]

    def results(response) -> list:
        return sorted(
            (r["student"], r["levels"], r["rating"])
            for r in response.json()["results"]
            for r in [{**r, "levels": str(r.get("levels"))}]
        )

    return {
        "grid": results(api),
        "class": results(api_class),
        "class_list_xlsx": sheet_values(lists),
        "report_cards_xlsx": sheet_values(cards),
    }


def test_finalise_and_cancel_are_refused_in_an_archived_year(setup, client_for, muni):
    _scores(setup)
    services.finalise(setup.term, setup.classroom, by=setup.actor(setup.admin))
    stored = list(Evaluation.objects.values_list("pk", "final_rating", "finalised_at"))
    fin = Finalisation.objects.get()
    _archive_keeping_the_principal(setup)
    principal = setup.admin.user
    page = client_for(muni, principal)
    api = client_for(muni, principal)

    # 確定取消 (page and API): refused, with the reason in Japanese
    response = page.post(
        f"/grades/terms/{setup.term.pk}/finalisations/{fin.pk}/cancel/", {"reason": "再確認"}
    )
    assert response.status_code == 403
    assert "過年度" in response.content.decode()
    response = api.delete(
        f"{API}/finalisations/{fin.pk}/", {"reason": "再確認"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "過年度" in response.json()["error"]["message"]
    assert Finalisation.objects.filter(pk=fin.pk).exists()

    # 確定 of the whole school's term (page and API): refused
    response = page.post(f"/grades/terms/{setup.term.pk}/finalise/run/")
    assert response.status_code == 403
    assert "過年度" in response.content.decode()
    response = api.post(
        f"{API}/finalisations/", {"term": setup.term.pk}, content_type="application/json"
    )
    assert response.status_code == 403 and "過年度" in response.json()["error"]["message"]
    assert list(Evaluation.objects.values_list("pk", "final_rating", "finalised_at")) == stored
    assert Finalisation.objects.count() == 1
    assert not AuditEvent.objects.filter(action="gradebook.finalisation.cancel").exists()

    # the finalise page offers no button in an archived year
    response = page.get(f"/grades/terms/{setup.term.pk}/finalise/")
    assert response.status_code == 200
    assert f"/finalisations/{fin.pk}/cancel/" not in response.content.decode()
    assert "過年度の成績は保存された内容のまま閲覧のみです" in response.content.decode()


def test_finalised_grades_do_not_move_with_the_thresholds(setup, client_for, muni, boe_admin):
    _scores(setup)
    services.finalise(setup.term, setup.classroom, by=setup.actor(setup.admin))
    client = client_for(muni, setup.admin.user)
    before = _shown(setup, client)
    assert any(r[2] for r in before["grid"])  # there are 評定 to compare
    _change_thresholds(boe_admin)
    assert _shown(setup, client) == before


def test_archived_grades_do_not_move_with_the_thresholds(setup, client_for, muni, boe_admin):
    """The term was never finalised: archiving the year (年度切替) stores its grades."""
    _scores(setup)
    client = client_for(muni, setup.admin.user)
    before = _shown(setup, client)
    # the real 年度切替: prepare and confirm the roll-over of every school, then switch
    boe = actor_for_user(boe_admin)
    new = factories.school_year(2027, state=SchoolYear.State.PREPARING)
    for school in rollover.schools_not_ready(new):
        rollover.confirm_rollover(rollover.rollover_school(school, by=boe), by=boe)
    rollover.switch_school_year(new, by=boe)
    assert SchoolYear.objects.get(pk=setup.classroom.school_year_id).is_read_only
    sealed = AuditEvent.objects.get(action="gradebook.finalisation.seal")
    assert sealed.changes["evaluations"] == 2
    assert not Finalisation.objects.exists()  # sealed, not 確定 by anyone
    assert not GradeChange.objects.filter(field__startswith="final:").exists()
    # the archived year's principal reads through the board now; so does the board
    board = client_for(muni, boe_admin)
    shown = _shown(setup, board)
    _change_thresholds(boe_admin)
    assert _shown(setup, board) == shown
    assert shown["grid"] == before["grid"]


@pytest.mark.parametrize("when", ["finalised", "archived"])
def test_a_cancelled_finalisation_is_not_what_an_archived_year_shows(setup, when):
    """After 確定取消 the old snapshot is stale; archiving stores the grades as they stand."""
    from gradebook import queries

    _scores(setup)
    admin = setup.actor(setup.admin)
    services.finalise(setup.term, setup.classroom, by=admin)
    services.unfinalise(Finalisation.objects.get(), by=admin, reason="修正")
    services.save_scores(
        setup.classroom,
        setup.subject,
        setup.term,
        [services.CellInput(setup.students[0].pk, setup.assessments[0].pk, "100", 1)],
        by=setup.actor(setup.teacher),
    )
    if when == "finalised":
        services.finalise(setup.term, setup.classroom, by=admin)
    else:
        services.seal_year(setup.classroom.school_year, by=admin)
        SchoolYear.objects.filter(pk=setup.classroom.school_year_id).update(state="archived")
        setup.classroom.school_year.refresh_from_db()
    row = queries.grid(setup.classroom, setup.subject, setup.term).rows[0]
    assert row.snapshot and row.result.levels["knowledge"] == "A"
