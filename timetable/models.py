"""The timetable (時間割) of one municipality: bell schedules, rooms, weekly lessons, changes.

Who teaches what is the roster's ``TeachingAssignment`` (``schools``); a lesson names its
class or teaching group, subject and teachers. ``timetable.queries`` turns these rows into
the pure values of ``timetable.rules`` (clashes, a day's lessons, substitutes, the tally).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from schools.models import Classroom, School, SchoolYear, Staff, Subject, TeachingGroup

WEEKDAYS = [(0, "月"), (1, "火"), (2, "水"), (3, "木"), (4, "金"), (5, "土")]


class BellSchedule(models.Model):
    """校時表: the periods of a day. A school has several (通常, 短縮, テスト …); one is the
    default, and a date may use another (``BellScheduleDay`` or a daily change)."""

    class Kind(models.TextChoices):
        NORMAL = "normal", "通常"
        SHORT = "short", "短縮"
        EXAM = "exam", "テスト"
        EVENT = "event", "行事"
        OTHER = "other", "その他"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="bell_schedules")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=30)
    kind = models.CharField("種類", max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    is_default = models.BooleanField("既定の校時表", default=False)
    # Copied by the year roll-over into the preparing year and not yet confirmed.
    is_draft = models.BooleanField("下書き", default=False)

    class Meta:
        verbose_name = "校時表"
        verbose_name_plural = "校時表"
        ordering = ["school", "school_year", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "name"], name="bell_schedule_unique"
            ),
            models.UniqueConstraint(
                fields=["school", "school_year"],
                condition=Q(is_default=True),
                name="bell_schedule_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BellPeriod(models.Model):
    """One 校時 of a schedule (0 = a morning module slot)."""

    schedule = models.ForeignKey(BellSchedule, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField("校時")
    start = models.TimeField("開始")
    end = models.TimeField("終了")

    class Meta:
        verbose_name = "校時"
        verbose_name_plural = "校時"
        ordering = ["schedule", "number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "number"], name="bell_period_unique"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="bell_period_times"),
        ]

    def __str__(self) -> str:
        return f"{self.number}校時 {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


class BellScheduleDay(models.Model):
    """The schedule one date uses, when it is not the school's default (a planned 短縮日)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    date = models.DateField("日付")
    schedule = models.ForeignKey(BellSchedule, on_delete=models.CASCADE, related_name="days")

    class Meta:
        verbose_name = "日ごとの校時表"
        verbose_name_plural = "日ごとの校時表"
        ordering = ["school", "date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="bell_schedule_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.schedule}"


class Room(models.Model):
    """教室: ordinary and special rooms; capacity = classes at once (a gym takes two)."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", "普通教室"
        SCIENCE = "science", "理科室"
        MUSIC = "music", "音楽室"
        HOME_EC = "home_ec", "家庭科室"
        ART = "art", "図工室・美術室"
        TECH = "tech", "技術室"
        COMPUTER = "computer", "コンピュータ室"
        LIBRARY = "library", "図書室"
        GYM = "gym", "体育館"
        POOL = "pool", "プール"
        GROUND = "ground", "運動場"
        OTHER = "other", "その他"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField("名称", max_length=30)
    kind = models.CharField("種類", max_length=10, choices=Kind.choices, default=Kind.ORDINARY)
    capacity = models.PositiveSmallIntegerField("同時に使える学級数", default=1)
    sort_order = models.PositiveSmallIntegerField("並び順", default=0)

    class Meta:
        verbose_name = "教室"
        verbose_name_plural = "教室"
        ordering = ["school", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="room_unique"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity"),
        ]

    def __str__(self) -> str:
        return self.name


class Timetable(models.Model):
    """A weekly timetable of a school, in force from ``valid_from`` (a 2学期 timetable is a
    second row of the same year)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="timetables")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=30, default="時間割")
    valid_from = models.DateField("適用開始日")
    # Created empty by the year roll-over for the preparing year, not yet confirmed.
    is_draft = models.BooleanField("下書き", default=False)

    class Meta:
        verbose_name = "時間割"
        verbose_name_plural = "時間割"
        ordering = ["school", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["school", "valid_from"], name="timetable_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.valid_from:%m/%d}〜）"


class Lesson(models.Model):
    """One lesson of a weekly timetable: weekday × period, a class or a group, a subject, its
    teachers and room. ``length`` 2 is a double period (2時間続き) from ``period``.
    ``division``/``section`` name one part of a split class (習熟度 A, 男子, 技術)."""

    timetable = models.ForeignKey(Timetable, on_delete=models.CASCADE, related_name="lessons")
    weekday = models.PositiveSmallIntegerField("曜日", choices=WEEKDAYS)
    period = models.PositiveSmallIntegerField("校時")
    length = models.PositiveSmallIntegerField("時間数", default=1)
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        TeachingGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    division = models.CharField("分割", max_length=20, blank=True)
    section = models.CharField("区分", max_length=20, blank=True)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    teachers = models.ManyToManyField(Staff, blank=True, related_name="lessons")
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True)
    minutes = models.PositiveSmallIntegerField("モジュール分数", null=True, blank=True)
    # 固定: the automatic timetable keeps it where it is (月曜6校時 学活, 総合 blocks …).
    pinned = models.BooleanField("固定", default=False)

    class Meta:
        verbose_name = "授業"
        verbose_name_plural = "授業"
        ordering = ["timetable", "weekday", "period"]
        constraints = [
            models.CheckConstraint(
                name="lesson_class_or_group",
                condition=Q(classroom__isnull=False, group__isnull=True)
                | Q(classroom__isnull=True, group__isnull=False),
            ),
            models.CheckConstraint(
                name="lesson_slot",
                condition=Q(weekday__lte=5, period__lte=12, length__gte=1, length__lte=4),
            ),
        ]
        indexes = [models.Index(fields=["timetable", "classroom"], name="lesson_class")]

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday][1]}{self.period} {self.subject}"


class DailyChange(models.Model):
    """時間割変更・日課変更 of one date. Each kind uses its own fields:

    - swap (時間交換): ``classroom``, ``period`` ⇄ ``other_period``;
    - move (時間変更): ``lesson`` to ``period`` (and ``room``);
    - cancel (休講): ``lesson``; add (追加): ``classroom``, ``period``, ``subject``,
      ``teachers``, ``room``;
    - substitute (代替): ``lesson``, ``absent`` → ``teachers`` (the substitute);
    - self_study (自習): ``lesson``, ``absent``, ``teachers`` (the supervisor);
    - bell (校時表の変更): ``bell_schedule``; weekday (曜日振替): ``weekday``.
    """

    class Kind(models.TextChoices):
        SWAP = "swap", "時間交換"
        MOVE = "move", "時間変更"
        CANCEL = "cancel", "休講"
        ADD = "add", "追加"
        SUBSTITUTE = "substitute", "代替"
        SELF_STUDY = "self_study", "自習"
        BELL = "bell", "校時表の変更"
        WEEKDAY = "weekday", "曜日振替"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="daily_changes")
    date = models.DateField("日付")
    kind = models.CharField("種類", max_length=12, choices=Kind.choices)
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    period = models.PositiveSmallIntegerField("校時", null=True, blank=True)
    other_period = models.PositiveSmallIntegerField("交換先の校時", null=True, blank=True)
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    teachers = models.ManyToManyField(Staff, blank=True, related_name="daily_changes")
    absent = models.ForeignKey(
        Staff, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True)
    bell_schedule = models.ForeignKey(
        BellSchedule, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(
        "振替の曜日", null=True, blank=True, choices=WEEKDAYS
    )
    note = models.CharField("理由・備考", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "時間割変更"
        verbose_name_plural = "時間割変更"
        ordering = ["school", "date", "pk"]
        indexes = [models.Index(fields=["school", "date"], name="daily_change_date")]
        constraints = [
            models.CheckConstraint(
                name="daily_change_fields",
                condition=Q(
                    kind__in=["move", "cancel", "substitute", "self_study"], lesson__isnull=False
                )
                | Q(
                    kind="swap",
                    classroom__isnull=False,
                    period__isnull=False,
                    other_period__isnull=False,
                )
                | Q(
                    kind="add", classroom__isnull=False, period__isnull=False, subject__isnull=False
                )
                | Q(kind="bell", bell_schedule__isnull=False)
                | Q(kind="weekday", weekday__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class StandardHours(models.Model):
    """標準授業時数 adjusted by the municipality (``school`` None: the board, e.g. 特別の教育
    課程) or set by a school for its own subjects (a 選択 course, a module). Rows override the
    national table (``timetable/national.py``) for one grade × subject; ``hours`` None takes
    the subject out of the grade. ``school_type`` is the table's stage (elementary or junior
    high) and ``grade`` the grade within it, so a 義務教育学校 follows both."""

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    school_type = models.CharField("学校段階", max_length=20)
    grade = models.PositiveSmallIntegerField("学年")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")
    hours = models.PositiveSmallIntegerField("年間時数", null=True, blank=True)

    class Meta:
        verbose_name = "標準授業時数の調整"
        verbose_name_plural = "標準授業時数の調整"
        ordering = ["school_type", "grade", "subject__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_type", "grade", "subject"],
                condition=Q(school__isnull=True),
                name="standard_hours_municipality",
            ),
            models.UniqueConstraint(
                fields=["school", "grade", "subject"],
                condition=Q(school__isnull=False),
                name="standard_hours_school",
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=9), name="standard_hours_grade"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade}年 {self.subject} {self.hours}"


class SchoolSubject(models.Model):
    """A subject a school adds to its curriculum (学校独自の教科・選択教科・モジュール).

    The subject row itself is a ``schools.Subject`` of the school type (shared by name, as
    the grid and the gradebook name subjects); this row says the school teaches it. Its
    hours per grade are ``StandardHours`` rows of the school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "学校独自の教科"
        verbose_name_plural = "学校独自の教科"
        ordering = ["school", "subject__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["school", "subject"], name="school_subject_unique")
        ]

    def __str__(self) -> str:
        return str(self.subject)


class Unavailability(models.Model):
    """A period a teacher cannot teach at a school in a school year (非常勤, 兼務先の日,
    定例の会議): weekday × period with a reason. Fed to the clash check and to substitutes."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField("曜日", choices=WEEKDAYS)
    period = models.PositiveSmallIntegerField("校時")
    reason = models.CharField("理由", max_length=60, blank=True)

    class Meta:
        verbose_name = "授業不可の時間"
        verbose_name_plural = "授業不可の時間"
        ordering = ["school", "school_year", "staff", "weekday", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "staff", "weekday", "period"],
                name="unavailability_unique",
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=5) & Q(period__gte=1) & Q(period__lte=12),
                name="unavailability_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.weekday}-{self.period}"


# --- 自動作成の決まり (issue 12, ttrules): what the 教務主任 states beyond the assignments ---


class GenerationRules(models.Model):
    """A school's rules for the automatic timetable (one row; none = the defaults below).
    Teachers' limits here are the school's default; ``TeacherLimit`` overrides one teacher."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    double_not_first = models.BooleanField("2時間続きを1校時に置かない", default=True)
    # 昼休み: after this period (None = where the default bell schedule has its long break)
    lunch_after = models.PositiveSmallIntegerField("昼休みの前の校時", null=True, blank=True)
    spread_two_period = models.BooleanField("週2コマの教科は連続した日に置かない", default=True)
    teacher_max_daily = models.PositiveSmallIntegerField("先生の1日の上限", null=True, blank=True)
    teacher_max_row = models.PositiveSmallIntegerField("先生の連続の上限", null=True, blank=True)
    teacher_max_gaps_day = models.PositiveSmallIntegerField(
        "先生の空きコマ (1日の上限)", null=True, blank=True
    )
    teacher_max_gaps_week = models.PositiveSmallIntegerField(
        "先生の空きコマ (週の上限)", null=True, blank=True
    )

    class Meta:
        verbose_name = "自動作成の決まり"
        verbose_name_plural = "自動作成の決まり"

    def __str__(self) -> str:
        return f"{self.school_id}"


class TeacherLimit(models.Model):
    """One teacher's limits at a school, where they differ from the school's (blank = the
    school's)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    max_daily = models.PositiveSmallIntegerField("1日の上限", null=True, blank=True)
    max_row = models.PositiveSmallIntegerField("連続の上限", null=True, blank=True)
    max_gaps_day = models.PositiveSmallIntegerField("空きコマ (1日)", null=True, blank=True)
    max_gaps_week = models.PositiveSmallIntegerField("空きコマ (週)", null=True, blank=True)

    class Meta:
        verbose_name = "先生ごとの上限"
        verbose_name_plural = "先生ごとの上限"
        ordering = ["school", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["school", "staff"], name="teacher_limit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.staff_id}"


class DoublePeriod(models.Model):
    """2時間続き: ``per_week`` of the assignment's weekly periods come as one lesson of
    ``length`` 2 (理科の実験, 技術・家庭の実習)."""

    assignment = models.OneToOneField(
        "schools.TeachingAssignment", on_delete=models.CASCADE, related_name="+"
    )
    per_week = models.PositiveSmallIntegerField("週の回数", default=1)

    class Meta:
        verbose_name = "2時間続き"
        verbose_name_plural = "2時間続き"
        constraints = [models.CheckConstraint(condition=Q(per_week__gte=1), name="double_per_week")]

    def __str__(self) -> str:
        return f"{self.assignment_id} ×{self.per_week}"


class SlotPreference(models.Model):
    """A weighted wish: these subjects avoid (or keep to) these periods, 「体育は5校時を避ける」
    80 %, 「国語・数学・英語は午前」 50 %. Weight 100 makes it a rule."""

    class Kind(models.TextChoices):
        AVOID = "avoid", "避ける"
        PREFER = "prefer", "この時間に置く"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("種類", max_length=10, choices=Kind.choices, default=Kind.AVOID)
    subjects = models.ManyToManyField(Subject, related_name="+")
    periods = models.JSONField("校時", default=list)  # [5] or [1, 2, 3, 4]
    weekdays = models.JSONField("曜日", default=list, blank=True)  # [] = every day
    weight = models.PositiveSmallIntegerField("重み (%)", default=50)
    note = models.CharField("理由", max_length=40, blank=True)

    class Meta:
        verbose_name = "時間帯の希望"
        verbose_name_plural = "時間帯の希望"
        ordering = ["school", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="slot_preference_weight"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.kind} {self.periods}"
