"""The gradebook of one municipality: assessments, scores, 観点別評価, 評定, 所見, 確定, history.

Who teaches what is the roster's ``TeachingAssignment`` (担当; in an elementary school the
homeroom teacher teaches every subject no 専科 has); the gradebook keys everything on
(classroom, subject, term).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gradebook import rules
from schools.models import Classroom, School, Student, Subject, Term

RULE_5_CHOICES = [(key, rules.RULE_LABELS[key]) for key in [*rules.RULES_5, rules.CUSTOM]]
RULE_3_CHOICES = [(key, rules.RULE_LABELS[key]) for key in [*rules.RULES_3, rules.CUSTOM]]


class ThresholdsMixin:
    """``threshold_a`` / ``threshold_b`` (%) as the rules' Thresholds."""

    threshold_a: Decimal
    threshold_b: Decimal

    @property
    def thresholds(self) -> rules.Thresholds:
        return rules.Thresholds(a=self.threshold_a, b=self.threshold_b)


class GradingSettings(ThresholdsMixin, models.Model):
    """Thresholds and 評定 rules: one row for the municipality (school null), one per school
    that differs. Per-subject thresholds are in ``SubjectThresholds``."""

    class ReportCardExcel(models.TextChoices):
        SHEET_PER_STUDENT = "sheet", "1人1シート"
        ROW_PER_STUDENT = "row", "1人1行"

    school = models.OneToOneField(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="grading_settings"
    )
    threshold_a = models.DecimalField(
        "A のしきい値 (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(80),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    threshold_b = models.DecimalField(
        "B のしきい値 (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    rule_5 = models.CharField(
        "5段階評定の決め方", max_length=20, choices=RULE_5_CHOICES, default=rules.DEFAULT_RULE_5
    )
    rule_3 = models.CharField(
        "3段階評定の決め方", max_length=20, choices=RULE_3_CHOICES, default=rules.DEFAULT_RULE_3
    )
    # 独自の表: the ten order-free combinations (AAA, AAB ... CCC) -> 評定, used with "custom"
    table_5 = models.JSONField("独自の表 (5段階)", default=dict, blank=True)
    table_3 = models.JSONField("独自の表 (3段階)", default=dict, blank=True)
    report_card_excel = models.CharField(
        "通知表の Excel 形式",
        max_length=10,
        choices=ReportCardExcel.choices,
        default=ReportCardExcel.SHEET_PER_STUDENT,
    )

    class Meta:
        verbose_name = "評価設定"
        verbose_name_plural = "評価設定"
        constraints = [
            models.UniqueConstraint(
                fields=["school"], nulls_distinct=False, name="grading_settings_unique"
            ),
            models.CheckConstraint(
                condition=Q(threshold_b__lt=models.F("threshold_a")), name="grading_thresholds"
            ),
        ]

    def __str__(self) -> str:
        return f"評価設定 ({self.school or '市町村全体'})"


class SubjectThresholds(ThresholdsMixin, models.Model):
    """A subject whose thresholds differ (e.g. 体育 observations), municipality-wide or per school."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE)
    threshold_a = models.DecimalField("A のしきい値 (%)", max_digits=5, decimal_places=2)
    threshold_b = models.DecimalField("B のしきい値 (%)", max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = "教科別しきい値"
        verbose_name_plural = "教科別しきい値"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "subject"], nulls_distinct=False, name="subject_thresholds_unique"
            ),
            models.CheckConstraint(
                condition=Q(threshold_b__lt=models.F("threshold_a")), name="subject_thresholds"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.school or '市町村全体'})"


class Assessment(models.Model):
    """評価の材料: a test, an assignment or an observation of one class × subject × term."""

    class Kind(models.TextChoices):
        # The labels are shown on pages in the reader's language (the grid, the form).
        TEST = "test", _("テスト")
        ASSIGNMENT = "assignment", _("課題・提出物")
        OBSERVATION = "observation", _("観察")

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assessments")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="assessments")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField("名称", max_length=60)
    date = models.DateField("実施日", null=True, blank=True)
    kind = models.CharField("種類", max_length=20, choices=Kind.choices, default=Kind.TEST)
    max_points = models.DecimalField(
        "満点",
        max_digits=6,
        decimal_places=1,
        default=Decimal(100),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    weight_knowledge = models.DecimalField(
        "知識・技能の重み", max_digits=5, decimal_places=2, default=0
    )
    weight_thinking = models.DecimalField(
        "思考・判断・表現の重み", max_digits=5, decimal_places=2, default=0
    )
    weight_attitude = models.DecimalField(
        "主体的に学習に取り組む態度の重み", max_digits=5, decimal_places=2, default=0
    )
    sort_order = models.PositiveSmallIntegerField("並び順", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "評価材料"
        verbose_name_plural = "評価材料"
        ordering = ["sort_order", "date", "id"]
        indexes = [models.Index(fields=["classroom", "subject", "term"])]
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gt=0), name="assessment_max_points"),
            models.CheckConstraint(
                condition=Q(weight_knowledge__gte=0, weight_thinking__gte=0, weight_attitude__gte=0)
                & (Q(weight_knowledge__gt=0) | Q(weight_thinking__gt=0) | Q(weight_attitude__gt=0)),
                name="assessment_weights",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weights(self) -> dict[str, Decimal]:
        return {
            rules.KNOWLEDGE: self.weight_knowledge,
            rules.THINKING: self.weight_thinking,
            rules.ATTITUDE: self.weight_attitude,
        }

    @property
    def spec(self) -> rules.AssessmentSpec:
        return rules.AssessmentSpec(self.pk, self.max_points, self.weights)

    @property
    def viewpoint_label(self) -> str:
        return "・".join(rules.VIEWPOINT_SHORT[vp] for vp, w in self.weights.items() if w > 0)


class Score(models.Model):
    """One student's result in one assessment. No row or null points = not yet (blank).

    ``version`` increases with every change: a save that started from an older version
    is refused (optimistic locking) so that no teacher's update is silently lost.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="scores")
    points = models.DecimalField("得点", max_digits=6, decimal_places=1, null=True, blank=True)
    is_absent = models.BooleanField("欠席", default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "得点"
        verbose_name_plural = "得点"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "student"], name="score_unique"),
            models.CheckConstraint(
                condition=Q(is_absent=False) | Q(points__isnull=True), name="score_absent_no_points"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0), name="score_points"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.student_id}: {self.text}"

    @property
    def value(self) -> rules.Score:
        if self.is_absent:
            return rules.ABSENT
        return self.points

    @property
    def text(self) -> str:
        return rules.format_score(self.value)


class Evaluation(models.Model):
    """観点別評価 and 評定 of one student × class-subject × term.

    ``override_*`` are the teacher's overrides (with ``override_reason``); the
    ``final_*`` fields are the snapshot stored when the term is finalised (確定), so
    that a later change of thresholds or rules never alters a finalised grade.
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="evaluations")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="evaluations")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="evaluations")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="evaluations")
    override_knowledge = models.CharField("知識・技能 (変更)", max_length=1, blank=True)
    override_thinking = models.CharField("思考・判断・表現 (変更)", max_length=1, blank=True)
    override_attitude = models.CharField(
        "主体的に学習に取り組む態度 (変更)", max_length=1, blank=True
    )
    override_rating = models.PositiveSmallIntegerField("評定 (変更)", null=True, blank=True)
    override_reason = models.TextField("変更の理由", blank=True)
    final_knowledge = models.CharField(max_length=1, blank=True)
    final_thinking = models.CharField(max_length=1, blank=True)
    final_attitude = models.CharField(max_length=1, blank=True)
    final_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "観点別評価・評定"
        verbose_name_plural = "観点別評価・評定"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "classroom", "subject", "term"], name="evaluation_unique"
            ),
            models.CheckConstraint(
                condition=Q(override_knowledge__in=["", "A", "B", "C"])
                & Q(override_thinking__in=["", "A", "B", "C"])
                & Q(override_attitude__in=["", "A", "B", "C"]),
                name="evaluation_override_levels",
            ),
            models.CheckConstraint(
                condition=Q(override_rating__isnull=True)
                | Q(override_rating__gte=1, override_rating__lte=5),
                name="evaluation_override_rating",
            ),
        ]
        indexes = [models.Index(fields=["classroom", "term"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.subject_id} {self.term_id}"

    @property
    def overrides(self) -> rules.Overrides:
        return rules.Overrides(
            levels={
                rules.KNOWLEDGE: self.override_knowledge or None,
                rules.THINKING: self.override_thinking or None,
                rules.ATTITUDE: self.override_attitude or None,
            },
            rating=self.override_rating,
        )

    @property
    def final_levels(self) -> dict[str, str | None]:
        return {
            rules.KNOWLEDGE: self.final_knowledge or None,
            rules.THINKING: self.final_thinking or None,
            rules.ATTITUDE: self.final_attitude or None,
        }


class Remark(models.Model):
    """所見: the homeroom teacher's written remarks on a student for a term."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="remarks")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="remarks")
    text = models.TextField("所見", blank=True, max_length=2000)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "所見"
        verbose_name_plural = "所見"
        constraints = [models.UniqueConstraint(fields=["student", "term"], name="remark_unique")]

    def __str__(self) -> str:
        return f"所見 {self.student_id} {self.term_id}"


class Finalisation(models.Model):
    """確定: the school administrator closed a term's grades for the whole school
    (classroom null) or for one class. After that only administrators write."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="finalisations")
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="finalisations"
    )
    finalised_at = models.DateTimeField(auto_now_add=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "成績確定"
        verbose_name_plural = "成績確定"
        constraints = [
            models.UniqueConstraint(
                fields=["term", "classroom"], nulls_distinct=False, name="finalisation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"確定 {self.term_id} {self.classroom_id or '学校全体'}"


class GradeChange(models.Model):
    """History of every change of a score, an evaluation, a 評定 or a remark, per cell.

    Beside the generic audit log (schools.AuditEvent) so that "the history of this grade"
    is one indexed query.
    """

    class Kind(models.TextChoices):
        SCORE = "score", "得点"
        LEVEL = "level", "観点別評価"
        RATING = "rating", "評定"
        REMARK = "remark", "所見"
        FINALISE = "finalise", "確定"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="grade_changes")
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True)
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    field = models.CharField(max_length=40)  # "points", "knowledge", "rating", "text" ...
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    after_finalisation = models.BooleanField(default=False)

    class Meta:
        verbose_name = "成績の変更履歴"
        verbose_name_plural = "成績の変更履歴"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["student", "term"]),
            models.Index(fields=["classroom", "subject", "term"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.field}: {self.old} → {self.new}"


class ReportCardLayout(models.Model):
    """The municipality's 通知表 layout: structured settings (gradebook.layouts.Layout) the BoE
    administrator chooses; Ai's own template renders them. An empty table means the standard.

    ``legacy_body`` keeps a template written in the old editor that migration 0004 could not
    map: stored for the board to read, never executed.
    """

    config = models.JSONField("レイアウトの設定", default=dict, blank=True)
    legacy_body = models.TextField("以前のレイアウト (使われません)", blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "通知表レイアウト"
        verbose_name_plural = "通知表レイアウト"

    def __str__(self) -> str:
        return f"通知表レイアウト ({self.updated_at:%Y-%m-%d})"


class ConductRecord(models.Model):
    """行動の記録・特別活動の記録 (○ per item) and the 外国語活動 / 総合的な学習の時間 text
    of one student and term, entered by the homeroom teacher for the 通知表."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="conduct_records")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="conduct_records")
    # keys of rules.BEHAVIOUR_ITEMS / rules.SPECIAL_ACTIVITY_KEYS marked ○
    behaviour = models.JSONField("行動の記録", default=list, blank=True)
    special = models.JSONField("特別活動の記録", default=list, blank=True)
    foreign_language = models.TextField("外国語活動", blank=True, max_length=400)
    integrated_study = models.TextField("総合的な学習の時間", blank=True, max_length=400)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "行動・特別活動の記録"
        verbose_name_plural = "行動・特別活動の記録"
        constraints = [
            models.UniqueConstraint(fields=["student", "term"], name="conduct_record_unique")
        ]

    def __str__(self) -> str:
        return f"行動の記録 {self.student_id} {self.term_id}"
