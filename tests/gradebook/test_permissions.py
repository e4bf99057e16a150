"""The gradebook's permission questions and object lookups, asked of the Actor by pages and API.

Before, pages and the API each had their own ``_teaching``/``_class_term`` and they differed:

- the API's class-and-term lookups (evaluations, history, and the bodies of score and override
  writes) and the history page accepted a term of the class's school but of *another school
  year*; the pages' ``_class_term``/``_teaching`` answered 404. The correct behaviour is the
  pages': a term belongs to one school year, so a 2026 class with a 2027 term is no object
  (404 everywhere now, never grades of the wrong year, never a 400 from the service);
- the pages raised 500 on ids that were not numbers where they came from a form or the query
  string (``?school=x``, the class of 確定); now 404.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from gradebook import services
from schools.models import Role, SchoolYear
from schools.permissions import Actor
from tests import factories
from tests.gradebook.conftest import make_term

API = "/api/v1/gradebook"
HUGE = "99999999999999999999999"


def other_year_term(setup):
    """A term of the same school, in the next school year."""
    next_year = factories.school_year(2027, SchoolYear.State.PREPARING)
    return make_term(setup.school, next_year)


# --- the lookups -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["x", "1.5", "-1", "", " 1", "²", None, HUGE, 10**20, True])
def test_ids_that_are_not_whole_numbers_or_out_of_range_are_404(setup, bad):
    actor = setup.actor(setup.admin)
    c, s, t = setup.classroom.pk, setup.subject.pk, setup.term.pk
    for call in (
        lambda: actor.classroom_or_404(bad),
        lambda: actor.school_or_404(bad),
        lambda: actor.term_or_404(bad),
        lambda: actor.class_term_or_404(c, bad),
        lambda: actor.teaching_or_404(c, bad, t),
        lambda: actor.teaching_or_404(bad, s, t),
        lambda: actor.class_grades_or_404(bad, t),
    ):
        with pytest.raises(Http404):
            call()


def test_lookups_accept_ids_as_text_and_numbers(setup):
    actor = setup.actor(setup.teacher)
    ids = (str(setup.classroom.pk), setup.subject.pk, f"{setup.term.pk}")
    assert actor.teaching_or_404(*ids) == (setup.classroom, setup.subject, setup.term)


def test_teaching_lookup_404_outside_the_actors_schools_403_without_the_right(setup, builder):
    ids = (setup.classroom.pk, setup.subject.pk, setup.term.pk)
    other = builder()
    with pytest.raises(Http404):
        other.actor(other.teacher).teaching_or_404(*ids)
    colleague = factories.staff()
    factories.give_role(
        colleague,
        Role.SUBJECT,
        classroom=setup.classroom,
        subject=factories.subject("junior_high", "国語"),
    )
    with pytest.raises(PermissionDenied):
        setup.actor(colleague).teaching_or_404(*ids)
    # the homeroom teacher reads every subject of the class
    assert setup.actor(setup.homeroom).teaching_or_404(*ids)[1] == setup.subject


def test_a_subject_of_another_school_type_is_404(setup):
    elementary = factories.subject("elementary", "算数")
    with pytest.raises(Http404):
        setup.actor(setup.admin).teaching_or_404(setup.classroom.pk, elementary.pk, setup.term.pk)


def test_a_term_of_another_school_year_is_404_in_every_lookup(setup):
    term = other_year_term(setup)
    actor = setup.actor(setup.admin)
    with pytest.raises(Http404):
        actor.class_term_or_404(setup.classroom.pk, term.pk)
    with pytest.raises(Http404):
        actor.teaching_or_404(setup.classroom.pk, setup.subject.pk, term.pk)
    # the term itself is the school's: the finalise page still finds it
    assert actor.term_or_404(term.pk) == term


def test_a_term_of_another_school_year_is_404_on_pages_and_api(setup, client_for, muni):
    term = other_year_term(setup)
    admin = client_for(muni, setup.admin.user)
    sid = setup.students[0].pk
    history_page = reverse("gradebook:history", args=[setup.classroom.pk, term.pk, sid])
    assert admin.get(history_page).status_code == 404  # was 200 (an empty history)
    params = {"classroom": setup.classroom.pk, "term": term.pk}
    assert admin.get(f"{API}/evaluations/", params).status_code == 404  # was 200
    assert admin.get(f"{API}/history/", {**params, "student": sid}).status_code == 404
    body = {**params, "subject": setup.subject.pk, "cells": []}
    r = admin.post(f"{API}/scores/", body, content_type="application/json")
    assert r.status_code == 404  # was 400 from the service


def test_bad_ids_in_forms_and_query_strings_are_404_not_500(setup, client_for, muni, boe_admin):
    admin = client_for(muni, setup.admin.user)
    run = reverse("gradebook:finalise-run", args=[setup.term.pk])
    assert admin.post(run, {"classroom": "x"}).status_code == 404
    assert admin.post(run, {"classroom": HUGE}).status_code == 404
    board = client_for(muni, boe_admin)
    assert board.get(reverse("gradebook:settings") + "?school=x").status_code == 404
    delete = reverse("gradebook:settings-subject-delete")
    assert board.post(delete, {"subject": "x"}).status_code == 404
    grid = reverse("gradebook:grid", args=[setup.classroom.pk, setup.subject.pk, HUGE])
    assert admin.get(grid).status_code == 404
    assert admin.get(f"{API}/assessments/{HUGE}/").status_code == 404
    # parameters that are not numbers are ignored or refused, never a 500
    history = reverse(
        "gradebook:history", args=[setup.classroom.pk, setup.term.pk, setup.students[0].pk]
    )
    assert admin.get(history, {"subject": "²"}).status_code == 200
    distribution = reverse("gradebook:distribution")
    assert board.get(distribution, {"term": "²", "year": "²"}).status_code == 200
    assert admin.get(f"{API}/teaching-assignments/", {"year": "²"}).status_code == 200
    assert admin.get(f"{API}/assessments/²/").status_code == 404


# --- the gradebook's questions ---------------------------------------------------------------


def test_who_writes_a_teaching_before_and_after_finalising(setup):
    teacher, homeroom, admin = (
        setup.actor(p) for p in (setup.teacher, setup.homeroom, setup.admin)
    )
    board = Actor(user_id=None, is_boe_admin=True)
    c, s = setup.classroom, setup.subject.pk
    assert teacher.can_write_teaching(c, s, finalised=False)
    assert not teacher.can_write_teaching(c, s, finalised=True)
    assert admin.can_write_teaching(c, s, finalised=True)
    assert not homeroom.can_write_teaching(c, s, finalised=False)
    assert homeroom.can_view_teaching(c, s) and board.can_view_teaching(c, s)
    # the board reads and exports grades but does not write them
    assert not board.can_write_teaching(c, s, finalised=False)
    with pytest.raises(PermissionDenied, match="確定済み"):
        teacher.require_teaching_write(c, s, finalised=True)
    with pytest.raises(PermissionDenied, match="入力する権限"):
        homeroom.require_teaching_write(c, s, finalised=False)


def test_class_grades_remarks_and_history(setup):
    teacher, homeroom, admin = (
        setup.actor(p) for p in (setup.teacher, setup.homeroom, setup.admin)
    )
    c = setup.classroom
    assert homeroom.can_view_class_grades(c) and admin.can_view_class_grades(c)
    assert not teacher.can_view_class_grades(c)
    assert homeroom.can_write_remarks(c, finalised=False)
    assert not homeroom.can_write_remarks(c, finalised=True)
    assert not teacher.can_write_remarks(c, finalised=False)
    # the grade-history rule (written twice before): the class's readers, or the one subject's
    # teacher asking for that subject only
    assert teacher.can_view_grade_history(c, setup.subject.pk)
    assert not teacher.can_view_grade_history(c, None)
    assert homeroom.can_view_grade_history(c, None)
    assert admin.can_finalise(setup.school.pk) and not teacher.can_finalise(setup.school.pk)


def test_an_archived_year_is_written_by_nobody(setup):
    SchoolYear.objects.filter(pk=setup.classroom.school_year_id).update(state="archived")
    setup.classroom.school_year.refresh_from_db()
    # (the administrator's role of that year no longer counts either: built by hand here)
    admin = Actor(user_id=None, admin_school_ids=frozenset({setup.school.pk}))
    assert not admin.can_write_teaching(setup.classroom, setup.subject.pk, finalised=False)
    assert not admin.can_write_remarks(setup.classroom, finalised=False)


def test_services_take_the_actor_keyword_only(setup):
    with pytest.raises(TypeError):
        services.finalise(setup.term, None, setup.actor(setup.admin))  # by= is required


def test_subject_assignments_listed_own_and_administered_schools_only(setup, builder):
    colleague = factories.staff()
    japanese = factories.subject("junior_high", "国語")
    factories.give_role(colleague, Role.SUBJECT, classroom=setup.classroom, subject=japanese)
    other = builder()
    year_id = setup.classroom.school_year_id

    def pairs(actor):
        return set(actor.subject_assignments(year_id).values_list("classroom_id", "subject_id"))

    mine = (setup.classroom.pk, setup.subject.pk)
    theirs = (setup.classroom.pk, japanese.pk)
    assert pairs(setup.actor(setup.teacher)) == {mine}
    assert pairs(setup.actor(setup.admin)) == {mine, theirs}
    assert pairs(Actor(user_id=None, is_boe_admin=True)) == set()
    assert (other.classroom.pk, other.subject.pk) not in pairs(setup.actor(setup.admin))
