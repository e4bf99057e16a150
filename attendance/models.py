"""Attendance (出欠) of one municipality: codes and marks.

Only marks that differ from present are stored (presence is derived from the school
calendar, ``schools.calendar``, and the enrolment). The calendar's ``SchoolDate`` keeps a
running count of school days, so the whole municipality's figures stay one set-based
query (see figures.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from attendance.rules import Figure
from schools.models import Classroom, Enrolment


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
