"""The roster (名簿) of one municipality: lives in the municipality's own schema.

Every other domain app (attendance, gradebook, timetable) depends on these
tables; this app depends on none of them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SchoolType(models.TextChoices):
    ELEMENTARY = "elementary", "小学校"
    JUNIOR_HIGH = "junior_high", "中学校"
    COMPULSORY = "compulsory", "義務教育学校"


GRADES_BY_TYPE: dict[str, range] = {
    SchoolType.ELEMENTARY: range(1, 7),
    SchoolType.JUNIOR_HIGH: range(1, 4),
    SchoolType.COMPULSORY: range(1, 10),
}


class School(models.Model):
    name = models.CharField("学校名", max_length=100)
    kana = models.CharField("ふりがな", max_length=200, blank=True)
    school_type = models.CharField("学校種", max_length=20, choices=SchoolType.choices)
    mext_code = models.CharField("学校コード", max_length=13, unique=True)
    is_active = models.BooleanField("運営中", default=True)
    per_period_attendance = models.BooleanField("校時別出欠", default=False)

    class Meta:
        verbose_name = "学校"
        verbose_name_plural = "学校"
        ordering = ["school_type", "mext_code"]

    def __str__(self) -> str:
        return self.name

    @property
    def grades(self) -> range:
        return GRADES_BY_TYPE[self.school_type]


class SchoolYear(models.Model):
    """年度: 1 April to 31 March, named by its starting year (令和8年度 = 2026)."""

    class State(models.TextChoices):
        PREPARING = "preparing", "準備中 (仮年度)"
        CURRENT = "current", "現年度"
        ARCHIVED = "archived", "過年度"

    year = models.PositiveSmallIntegerField("年度", unique=True)
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.PREPARING)

    class Meta:
        verbose_name = "年度"
        verbose_name_plural = "年度"
        ordering = ["-year"]
        constraints = [
            # At most one current year per municipality.
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="current"), name="one_current_year"
            )
        ]

    def __str__(self) -> str:
        from schools.wareki import school_year_label

        return school_year_label(self.year)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year + 1, 3, 31)

    @property
    def is_read_only(self) -> bool:
        """Past years stay readable and unchanged (指導要録 retention)."""
        return self.state == self.State.ARCHIVED


class Term(models.Model):
    """学期 of one school in one year (3学期制 or 2学期制; dates are the school's own)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="terms")
    number = models.PositiveSmallIntegerField("学期番号")
    name = models.CharField("名称", max_length=20)
    start = models.DateField("開始日")
    end = models.DateField("終了日")

    class Meta:
        verbose_name = "学期"
        verbose_name_plural = "学期"
        ordering = ["school_year", "school", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "number"], name="term_unique"),
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="term_dates"),
        ]

    def __str__(self) -> str:
        return self.name


class Classroom(models.Model):
    """学級: 1年1組 ..., or a special-needs class (特別支援学級) that mixes grades."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classrooms")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classrooms")
    grade = models.PositiveSmallIntegerField("学年", null=True, blank=True)
    name = models.CharField("学級名", max_length=30)
    is_special_needs = models.BooleanField("特別支援学級", default=False)
    sort_order = models.PositiveSmallIntegerField("並び順", default=0)

    class Meta:
        verbose_name = "学級"
        verbose_name_plural = "学級"
        ordering = ["school", "school_year", "is_special_needs", "grade", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "grade", "name"], name="classroom_unique"
            ),
            models.CheckConstraint(
                condition=Q(is_special_needs=True) | Q(grade__isnull=False),
                name="classroom_grade_required",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """1年1組, or the special-needs class's own name (なかよし学級)."""
        if self.grade is None or self.is_special_needs:
            return self.name
        return f"{self.grade}年{self.name}"


class Student(models.Model):
    """児童生徒. Names are stored exactly as written (no NFKC: 𠮷 and 髙 survive)."""

    class Sex(models.TextChoices):
        # Labels shown on pages in the reader's language (exports use schools.excel's own).
        MALE = "M", _("男")
        FEMALE = "F", _("女")
        OTHER = "X", _("その他")

    student_number = models.CharField("学籍番号", max_length=20, unique=True, null=True, blank=True)
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("ふりがな", max_length=200)
    sex = models.CharField("性別", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("生年月日", null=True, blank=True)

    class Meta:
        verbose_name = "児童生徒"
        verbose_name_plural = "児童生徒"
        ordering = ["kana", "id"]
        indexes = [models.Index(fields=["name", "birth_date"])]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A student's place in a class for a year, with roll number (出席番号) and dates.

    ``left_on`` is the last day of enrolment (the leaving day still counts).
    """

    class Entry(models.TextChoices):
        ADMISSION = "admission", _("入学")
        PROMOTION = "promotion", _("進級")
        TRANSFER_IN = "transfer_in", _("転入")
        CLASS_CHANGE = "class_change", pgettext_lazy("enrolment", "学級変更")

    class Exit(models.TextChoices):
        TRANSFER_OUT = "transfer_out", _("転出")
        GRADUATION = "graduation", _("卒業")
        CLASS_CHANGE = "class_change", pgettext_lazy("enrolment", "学級変更")
        OTHER = "other", _("その他")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrolments")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrolments")
    # Denormalised from the classroom so that year- and school-wide reads need no join.
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="enrolments")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="enrolments")
    grade = models.PositiveSmallIntegerField("学年")
    roll_number = models.PositiveSmallIntegerField("出席番号")
    enrolled_on = models.DateField("在籍開始日")
    left_on = models.DateField("在籍終了日", null=True, blank=True)
    entry = models.CharField(
        "在籍事由", max_length=20, choices=Entry.choices, default=Entry.ADMISSION
    )
    exit = models.CharField("異動事由", max_length=20, choices=Exit.choices, blank=True)

    class Meta:
        verbose_name = "在籍"
        verbose_name_plural = "在籍"
        ordering = ["classroom", "roll_number"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "roll_number"], name="roll_number_unique"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("enrolled_on")),
                name="enrolment_dates",
            ),
        ]
        indexes = [models.Index(fields=["school_year", "school"])]

    def __str__(self) -> str:
        return f"{self.classroom} {self.roll_number} {self.student}"

    def is_enrolled_on(self, day: dt.date) -> bool:
        return self.enrolled_on <= day and (self.left_on is None or day <= self.left_on)


class Subject(models.Model):
    """教科 of a school type. Lives in the roster because roles, grades and timetables share it.

    ``is_graded`` is False for 道徳, 外国語活動, 総合的な学習の時間, 特別活動 (written remarks).
    """

    school_type = models.CharField("学校種", max_length=20, choices=SchoolType.choices)
    name = models.CharField("教科名", max_length=30)
    short_name = models.CharField("略称", max_length=6, blank=True)
    sort_order = models.PositiveSmallIntegerField("並び順", default=0)
    is_graded = models.BooleanField("評定・観点別評価あり", default=True)

    class Meta:
        verbose_name = "教科"
        verbose_name_plural = "教科"
        ordering = ["school_type", "sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["school_type", "name"], name="subject_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """教職員: the person behind a login of this municipality."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("ふりがな", max_length=200, blank=True)
    staff_number = models.CharField("職員番号", max_length=20, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = "教職員"
        verbose_name_plural = "教職員"
        ordering = ["kana", "id"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    BOE_ADMIN = "boe_admin", "教育委員会 管理者"
    BOE_VIEWER = "boe_viewer", "教育委員会 閲覧者"
    SCHOOL_ADMIN = "school_admin", "学校管理者"
    HOMEROOM = "homeroom", "学級担任"
    # Not stored as a role: 教科担任 is a TeachingAssignment (担当). The choice stays so that
    # forms, the staff import and the API can still say "subject"; services turn it into one.
    SUBJECT = "subject", "教科担任"


class RoleAssignment(models.Model):
    """A role a staff member holds. A person can hold several, in several schools (兼務).

    BoE roles have no school; school roles name a school and year; homeroom names
    a classroom. Who teaches what (教科担任) is a ``TeachingAssignment``, not a role
    (``subject`` stays for the unique key and is always empty).
    ``is_draft`` marks roles copied by the year roll-over and not yet confirmed.
    """

    class Title(models.TextChoices):
        PRINCIPAL = "principal", "校長"
        VICE_PRINCIPAL = "vice_principal", "副校長・教頭"
        HEAD_OF_ACADEMICS = "head_of_academics", "教務主任"
        OTHER = "other", "その他"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("役割", max_length=20, choices=Role.choices)
    title = models.CharField("職名", max_length=20, choices=Title.choices, blank=True)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, null=True, blank=True, related_name="role_assignments"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="role_assignments"
    )
    is_draft = models.BooleanField("下書き", default=False)

    class Meta:
        verbose_name = "役割"
        verbose_name_plural = "役割"
        constraints = [
            models.CheckConstraint(
                name="role_scope",
                condition=(
                    Q(
                        role__in=["boe_admin", "boe_viewer"],
                        school__isnull=True,
                        classroom__isnull=True,
                    )
                    | Q(
                        role="school_admin",
                        school__isnull=False,
                        school_year__isnull=False,
                        classroom__isnull=True,
                    )
                    | Q(
                        role="homeroom",
                        classroom__isnull=False,
                        school__isnull=False,
                        school_year__isnull=False,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["staff", "role", "school", "school_year", "classroom", "subject"],
                nulls_distinct=False,
                name="role_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.get_role_display()}"


class TeachingGroup(models.Model):
    """A group that is not one class: 合同, 分割 (習熟度別・少人数・男女別), 選択, 交流.

    It lists its classes and/or its students; attendance and grades still belong to each
    student's own class.
    """

    class Kind(models.TextChoices):
        COMBINED = "combined", "合同"
        SPLIT = "split", "分割・習熟度別・少人数"
        ELECTIVE = "elective", "選択"
        EXCHANGE = "exchange", "交流"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="teaching_groups")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=40)
    classes = models.ManyToManyField(Classroom, blank=True, related_name="teaching_groups")
    students = models.ManyToManyField(Student, blank=True, related_name="teaching_groups")
    # Copied by the year roll-over (its classes continue) and not yet confirmed.
    is_draft = models.BooleanField("下書き", default=False)

    class Meta:
        verbose_name = "授業グループ"
        verbose_name_plural = "授業グループ"
        ordering = ["school", "school_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "name"], name="teaching_group_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeachingAssignment(models.Model):
    """担当: for a class (or a group) and a subject in a year, the teacher(s) and weekly periods.

    The one record the gradebook asks for write access, the timetable for its checks and
    the hours tally for its plan. Several teachers = team teaching (TT). ``weekly_periods``
    is a decimal so that modules count in fractions (15 minutes = 1/3 of an elementary hour).
    ``is_draft`` marks assignments copied by the year roll-over and not yet confirmed.
    """

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="teaching_assignments"
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="teaching_assignments"
    )
    classroom = models.ForeignKey(
        Classroom,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="teaching_assignments",
    )
    group = models.ForeignKey(
        TeachingGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
    )
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    teachers = models.ManyToManyField(Staff, blank=True, related_name="teaching_assignments")
    weekly_periods = models.DecimalField("週時数", max_digits=5, decimal_places=2, default=0)
    is_draft = models.BooleanField("下書き", default=False)

    class Meta:
        verbose_name = "担当"
        verbose_name_plural = "担当"
        ordering = ["school", "school_year", "classroom", "group", "subject__sort_order"]
        constraints = [
            models.CheckConstraint(
                name="teaching_class_or_group",
                condition=Q(classroom__isnull=False, group__isnull=True)
                | Q(classroom__isnull=True, group__isnull=False),
            ),
            models.CheckConstraint(
                name="teaching_periods_positive", condition=Q(weekly_periods__gte=0)
            ),
            models.UniqueConstraint(
                fields=["classroom", "subject"],
                condition=Q(classroom__isnull=False),
                name="teaching_class_subject_unique",
            ),
            models.UniqueConstraint(
                fields=["group", "subject"],
                condition=Q(group__isnull=False),
                name="teaching_group_subject_unique",
            ),
        ]
        indexes = [models.Index(fields=["school_year", "school"], name="teaching_year_school")]

    def __str__(self) -> str:
        return f"{self.target_label} {self.subject}"

    @property
    def target_label(self) -> str:
        return self.classroom.label if self.classroom_id else self.group.name


class AuditEvent(models.Model):
    """Who changed what, when (and why): written by every service in the same transaction."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60, blank=True)
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "操作記録"
        verbose_name_plural = "操作記録"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class SchoolRollover(models.Model):
    """年度更新 (進級処理) of one school into a preparing year: prepared, then confirmed.

    The school year itself is municipality-wide (``SchoolYear.state``); this row
    records how far each school has come, so the board can switch the year only
    when every school is ready (see ``schools.rollover.switch_school_year``).
    """

    class State(models.TextChoices):
        PREPARED = "prepared", "仮年度更新済み"
        CONFIRMED = "confirmed", "確定"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rollovers")
    from_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    to_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="rollovers")
    state = models.CharField("状態", max_length=10, choices=State.choices, default=State.PREPARED)
    prepared_at = models.DateTimeField("実行日時", auto_now_add=True)
    confirmed_at = models.DateTimeField("確定日時", null=True, blank=True)
    graduated = models.PositiveIntegerField("卒業", default=0)
    promoted = models.PositiveIntegerField("進級", default=0)

    class Meta:
        verbose_name = "年度更新"
        verbose_name_plural = "年度更新"
        constraints = [
            models.UniqueConstraint(fields=["school", "to_year"], name="rollover_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.to_year} {self.get_state_display()}"


class PendingUpload(models.Model):
    """An uploaded file between its preview and its confirmation (取り込みの確認待ち).

    Kept in the municipality's own schema, so that any app server can confirm it and no
    other municipality can ever see it; only the person who uploaded it may confirm it,
    until ``expires_at``. ``schools.imports.store`` is the one way in and out.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField("種類", max_length=40)
    token = models.CharField(max_length=64, unique=True)
    filename = models.CharField("ファイル名", max_length=200, blank=True)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "確認待ちの取り込み"
        verbose_name_plural = "確認待ちの取り込み"
        indexes = [models.Index(fields=["expires_at"], name="pending_upload_expiry")]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.created_at:%Y-%m-%d %H:%M})"


# --- school calendar (学校暦) ----------------------------------------------------------
# Part of the core: attendance counts on it, the gradebook's terms and the timetable read it.
# Services in ``schools.calendar`` write it; other apps read it through that module only.


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
        indexes = [models.Index(fields=["school", "kind", "start"], name="closure_school_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}〜{self.end}"


class SchoolDate(models.Model):
    """Every calendar date of a school's year, derived from the calendar (rebuilt by services).

    ``cum`` counts the school days from 1 April up to and including ``date``, so that 授業日数
    of any span is two equality look-ups (``cum(b) - cum(a) + is_school_day(a)``).
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
        indexes = [models.Index(fields=["school_year", "school"], name="school_date_year")]

    def __str__(self) -> str:
        return f"{self.school_id} {self.date}"
