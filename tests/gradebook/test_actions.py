"""One view per POST action: each form posts to its own URL; the pages only show."""

from __future__ import annotations

from django.urls import reverse

from gradebook import queries
from gradebook.models import Finalisation, ReportCardLayout
from schools.models import AuditEvent


def test_assessment_delete_has_its_own_url(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    a = setup.assessments[0]
    args = [setup.classroom.pk, setup.subject.pk, setup.term.pk, a.pk]
    edit = client.get(reverse("gradebook:assessment-edit", args=args)).content.decode()
    delete_url = reverse("gradebook:assessment-delete", args=args)
    assert f'formaction="{delete_url}"' in edit
    assert client.get(delete_url).status_code == 405
    assert client.post(delete_url).status_code == 302
    assert not setup.classroom.assessments.filter(pk=a.pk).exists()
    # the homeroom teacher may read the grid but not delete its assessments
    other = setup.assessments[1]
    other_url = reverse("gradebook:assessment-delete", args=[*args[:3], other.pk])
    assert client_for(muni, setup.homeroom.user).post(other_url).status_code == 403
    assert setup.classroom.assessments.filter(pk=other.pk).exists()


def test_finalise_then_withdraw_each_at_its_url(setup, client_for, muni):
    admin = client_for(muni, setup.admin.user)
    page = reverse("gradebook:finalise", args=[setup.term.pk])
    run = reverse("gradebook:finalise-run", args=[setup.term.pk])
    confirm = reverse("gradebook:finalise-confirm", args=[setup.term.pk])
    assert f'href="{confirm}"' in admin.get(page).content.decode()  # 確定 asks first
    assert f'action="{run}"' in admin.get(confirm).content.decode()
    assert admin.post(page).status_code == 405  # the page only shows
    assert admin.post(run, {"accept_gaps": "1"}).status_code == 302
    fin = Finalisation.objects.get(term=setup.term, classroom__isnull=True)
    cancel = reverse("gradebook:finalise-cancel", args=[setup.term.pk, fin.pk])
    assert f'action="{cancel}"' in admin.get(page).content.decode()
    admin.post(cancel, {"reason": ""})  # a reason is required: nothing withdrawn
    assert Finalisation.objects.filter(pk=fin.pk).exists()
    assert client_for(muni, setup.teacher.user).post(cancel, {"reason": "x"}).status_code == 403
    assert admin.post(cancel, {"reason": "訂正"}).status_code == 302
    assert not Finalisation.objects.exists()
    assert AuditEvent.objects.filter(action="gradebook.finalisation.cancel").exists()


def test_layout_preview_save_and_reset(setup, client_for, muni, boe_admin):
    from tests.gradebook.test_layout_security import layout_post

    client = client_for(muni, boe_admin)
    url = reverse("gradebook:report-layout")
    body = layout_post(label_title="見本の通知表")
    preview = client.post(url, body)
    assert preview.status_code == 200 and "見本の通知表" in preview.content.decode()
    assert not ReportCardLayout.objects.exists()  # a preview saves nothing
    live = client.post(reverse("gradebook:report-layout-preview"), body)
    assert "見本の通知表" in live.content.decode() and "見本 太郎" in live.content.decode()
    assert not ReportCardLayout.objects.exists()
    assert client.post(reverse("gradebook:report-layout-save"), body).status_code == 302
    assert ReportCardLayout.objects.get().config["labels"] == {"title": "見本の通知表"}
    assert client.post(reverse("gradebook:report-layout-reset")).status_code == 302
    assert not ReportCardLayout.objects.exists()
    admin = client_for(muni, setup.admin.user)
    assert admin.post(reverse("gradebook:report-layout-reset")).status_code == 403


def test_grid_import_confirm_is_post_only(setup, client_for, muni):
    client = client_for(muni, setup.teacher.user)
    args = [setup.classroom.pk, setup.subject.pk, setup.term.pk]
    confirm = reverse("gradebook:grid-import-confirm", args=args)
    assert client.get(confirm).status_code == 405
    response = client.post(confirm, {"payload": "not base64!"})
    assert response.status_code == 200
    assert "取り込むファイルを選んでください" in response.content.decode()


def test_settings_forms_post_to_their_own_urls_keeping_the_school(setup, client_for, muni):
    admin = client_for(muni, setup.admin.user)
    html = admin.get(reverse("gradebook:settings") + f"?school={setup.school.pk}").content.decode()
    assert f'action="{reverse("gradebook:settings-subject")}?school={setup.school.pk}"' in html
    assert f'action="{reverse("gradebook:settings")}?school={setup.school.pk}"' in html


def test_the_board_index_links_only_to_pages_that_open(setup, client_for, muni, boe_admin):
    from schools.models import Role
    from tests import factories

    viewer = factories.staff()
    factories.give_role(viewer, Role.BOE_VIEWER)
    finalise = reverse("gradebook:finalise", args=[setup.term.pk])
    settings = reverse("gradebook:settings") + f"?school={setup.school.pk}"
    client = client_for(muni, viewer.user)
    html = client.get(reverse("gradebook:index")).content.decode()
    assert setup.school.name in html
    assert finalise not in html and settings not in html
    assert client.get(finalise).status_code == 403
    assert client.get(settings).status_code == 403
    board = client_for(muni, boe_admin).get(reverse("gradebook:index")).content.decode()
    assert finalise in board and settings in board


def test_finalise_asks_first_and_lists_what_is_missing(setup, client_for, muni):
    """確定 names the class and term, lists pupils without a 評定 or 所見, and needs the box."""
    admin = client_for(muni, setup.admin.user)
    confirm = reverse("gradebook:finalise-confirm", args=[setup.term.pk])
    run = reverse("gradebook:finalise-run", args=[setup.term.pk])
    page = admin.get(confirm, {"classroom": setup.classroom.pk}).content.decode()
    assert f"{setup.classroom.label} の {setup.term.name} を確定します" in page
    first = setup.enrolments[0]
    pupil = f"{setup.classroom.label} {first.roll_number}番 {first.student.name}"
    assert pupil in page and "所見が空欄" in page
    assert 'name="accept_gaps"' in page and "required" in page
    # without the explicit choice nothing is finalised; back to the confirmation
    response = admin.post(run, {"classroom": setup.classroom.pk})
    assert response.status_code == 302 and "finalise/confirm/" in response["Location"]
    assert not Finalisation.objects.exists()
    refused = admin.get(response["Location"]).content.decode()
    assert "このまま確定するには" in refused
    # with it, finalised, and the audit says how many gaps there were
    assert admin.post(run, {"classroom": setup.classroom.pk, "accept_gaps": "1"}).status_code == 302
    assert Finalisation.objects.filter(classroom=setup.classroom).exists()
    event = AuditEvent.objects.filter(action="gradebook.finalisation.finalise").latest("pk")
    assert event.changes["gaps"] == len(setup.enrolments)
    # the list names pupils as a teacher does, never by an id
    gaps = queries.finalisation_gaps(setup.term, [setup.classroom])
    assert [g.pupil for g in gaps][0] == pupil and "ID" not in page
