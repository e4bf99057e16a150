"""Audit actions follow one grammar, <app>.<entity>.<verb>: rename the records written before."""

from django.db import migrations

RENAMED = {
    'attendance.vacation_add': 'schools.vacation.add',
    'attendance.vacation_delete': 'schools.vacation.delete',
    'attendance.override_set': 'schools.calendar_override.set',
    'attendance.override_delete': 'schools.calendar_override.delete',
    'attendance.closure_add': 'schools.closure.add',
    'attendance.closure_delete': 'schools.closure.delete',
    'attendance.marks_save': 'attendance.marks.save',
    'attendance.register_import': 'attendance.register.import',
    'attendance.codes_update': 'attendance.codes.update',
    'gradebook.scores_saved': 'gradebook.scores.save',
    'gradebook.assessment_created': 'gradebook.assessment.create',
    'gradebook.assessment_updated': 'gradebook.assessment.update',
    'gradebook.assessment_deleted': 'gradebook.assessment.delete',
    'gradebook.evaluation_overridden': 'gradebook.evaluation.override',
    'gradebook.finalised': 'gradebook.finalisation.finalise',
    'gradebook.unfinalised': 'gradebook.finalisation.cancel',
    'gradebook.remarks_saved': 'gradebook.remarks.save',
    'gradebook.settings_saved': 'gradebook.settings.save',
    'gradebook.layout_saved': 'gradebook.layout.save',
    'gradebook.subject_thresholds_saved': 'gradebook.subject_thresholds.save',
    'school.create': 'schools.school.create',
    'school.update': 'schools.school.update',
    'school_year.open': 'schools.school_year.open',
    'school_year.switch': 'schools.school_year.switch',
    'terms.set': 'schools.terms.set',
    'classroom.create': 'schools.classroom.create',
    'classroom.delete': 'schools.classroom.delete',
    'classroom.renumber': 'schools.classroom.renumber',
    'student.transfer_in': 'schools.student.transfer_in',
    'student.place': 'schools.student.place',
    'student.update': 'schools.student.update',
    'student.change_class': 'schools.student.change_class',
    'student.transfer_out': 'schools.student.transfer_out',
    'enrolment.roll_number': 'schools.enrolment.set_roll_number',
    'staff.create': 'schools.staff.create',
    'staff.import': 'schools.staff.import',
    'role.assign': 'schools.role.assign',
    'role.remove': 'schools.role.remove',
    'role.confirm': 'schools.role.confirm',
    'rollover.prepare': 'schools.rollover.prepare',
    'rollover.cancel': 'schools.rollover.cancel',
    'rollover.confirm': 'schools.rollover.confirm',
    'roster.import': 'schools.roster.import',
    'student.enrol': 'schools.student.enrol',
    'export.class_roster': 'schools.class_roster.export',
    'export.school_roster': 'schools.school_roster.export',
    'export.staff_list': 'schools.staff_list.export',
}


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("schools", "AuditEvent")
    for old, new in RENAMED.items():
        AuditEvent.objects.filter(action=old).update(action=new)


def backwards(apps, schema_editor):
    AuditEvent = apps.get_model("schools", "AuditEvent")
    for old, new in RENAMED.items():
        AuditEvent.objects.filter(action=new).update(action=old)


class Migration(migrations.Migration):
    dependencies = [("schools", "0003_school_rollover")]
    operations = [migrations.RunPython(forwards, backwards)]
