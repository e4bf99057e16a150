"""Attendance (出欠) of one municipality: codes, school calendar, closures and marks.

Only marks that differ from present are stored (presence is derived from the calendar
and the enrolment). ``SchoolDate`` is the calendar materialised per school and date with a
running count of school days, so that 授業日数 of any span is two equality look-ups
(``cum(b) - cum(a) + is_school_day(a)``) instead of a scan: the whole municipality's
figures stay one set-based query (see queries.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from attendance.rules import Figure
from schools.models import Classroom, Enrolment, School, SchoolYear


class AttendanceCode(models.Model):
    """出欠記号: the municipality's codes, symbols and the figure each feeds (default: domain table)."""

    code = models.CharField("コード", max_length=12, unique=True)
    symbol = models.CharField("記号", max_length=4)
    label = models.CharField("名称", max_length=30)
    figure = models.CharField(
        "集計区分", max_length=20, choices=[(f.value, f.value) for f in Figure]
    )
    key = models.CharField("入力キー", max_length=1, blank=True)
    sort_order = models.PositiveSmallIntegerField("並び順", default=0)
    is_active = models.BooleanField("使用する", default=True)

    class Meta:
        verbose_name = "出欠記号"
        verbose_name_plural = "出欠記号"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.label}"


class Vacation(models.Model):
    """長期休業 (夏季休業 …) of a school in a year: these dates are not school days."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="vacations")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=30)
    start = models.DateField("開始日")
    end = models.DateField("終了日")

    class Meta:
        verbose_name = "休業日"
        verbose_name_plural = "休業日"
        ordering = ["school", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="vacation_dates")
        ]

    def __str__(self) -> str:
        return self.name


class CalendarOverride(models.Model):
    """One date made a school day (土曜授業) or not (振替休業日, 開校記念日)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="calendar_overrides")
    date = models.DateField("日付")
    is_school_day = models.BooleanField("授業日")
    note = models.CharField("行事・理由", max_length=50, blank=True)

    class Meta:
        verbose_name = "授業日の変更"
        verbose_name_plural = "授業日の変更"
        ordering = ["school", "date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="calendar_override_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


class Closure(models.Model):
    """臨時休業 (school), 学年閉鎖 (grade) or 学級閉鎖 (class) over a range of dates."""

    class Kind(models.TextChoices):
        SCHOOL = "school", "臨時休業"
        GRADE = "grade", "学年閉鎖"
        CLASS = "class", "学級閉鎖"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closures")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    grade = models.PositiveSmallIntegerField("学年", null=True, blank=True)
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    start = models.DateField("開始日")
    end = models.DateField("終了日")
    reason = models.CharField("理由", max_length=100)

    class Meta:
        verbose_name = "休業・閉鎖"
        verbose_name_plural = "休業・閉鎖"
        ordering = ["school", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="closure_dates"),
            models.CheckConstraint(
                name="closure_scope",
                condition=Q(kind="school", grade__isnull=True, classroom__isnull=True)
                | Q(kind="grade", grade__isnull=False, classroom__isnull=True)
                | Q(kind="class", classroom__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["school", "kind", "start"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}〜{self.end}"


class SchoolDate(models.Model):
    """Every calendar date of a school's year, derived from the calendar (rebuilt by services).

    ``cum`` counts the school days from 1 April up to and including ``date``.
    Whole-school closures are already removed; grade and class closures are not.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    is_school_day = models.BooleanField()
    cum = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="school_date_unique")
        ]
        indexes = [models.Index(fields=["school_year", "school"])]

    def __str__(self) -> str:
        return f"{self.school_id} {self.date}"


class Mark(models.Model):
    """A mark that differs from present (欠・遅・早・停・忌・災・出扱 …) for one date.

    ``period`` 0 is the day's mark (the one the figures count); 1.. are per-period
    marks (校時別出欠) of junior high schools that switch them on.
    """

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="marks")
    date = models.DateField("日付")
    period = models.PositiveSmallIntegerField("校時", default=0)
    code = models.CharField("記号", max_length=12)
    note = models.CharField("メモ", max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "出欠"
        verbose_name_plural = "出欠"
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "date", "period"], name="mark_unique")
        ]
        indexes = [models.Index(fields=["date"], name="mark_date_idx")]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.date} {self.code}"


class TakenDay(models.Model):
    """The class's attendance of a date was saved (the home page shows 入力済み / 未入力)."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    period = models.PositiveSmallIntegerField(default=0)
    saved_at = models.DateTimeField(auto_now=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "date", "period"], name="taken_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.classroom_id} {self.date}"
