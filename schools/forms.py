"""Forms of the roster pages: they parse input; the rules live in ``schools.services``."""

from __future__ import annotations

from django import forms

from schools.models import (
    Classroom,
    Enrolment,
    Role,
    RoleAssignment,
    School,
    SchoolType,
    SchoolYear,
    Staff,
    Student,
    Subject,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StaffAccountForm(forms.Form):
    name = forms.CharField(label="氏名", max_length=100)
    kana = forms.CharField(label="ふりがな", max_length=200, required=False)
    username = forms.CharField(label="ログインID", max_length=150)
    password = forms.CharField(label="初期パスワード", widget=forms.PasswordInput, min_length=8)
    staff_number = forms.CharField(label="職員番号", max_length=20, required=False)
    boe_role = forms.ChoiceField(
        label="教育委員会の役割",
        required=False,
        choices=[
            ("", "なし (学校の教職員)"),
            (Role.BOE_ADMIN, Role.BOE_ADMIN.label),
            (Role.BOE_VIEWER, Role.BOE_VIEWER.label),
        ],
    )


class SchoolForm(forms.Form):
    name = forms.CharField(label="学校名", max_length=100)
    kana = forms.CharField(label="ふりがな", max_length=200, required=False)
    school_type = forms.ChoiceField(label="学校種", choices=SchoolType.choices)
    mext_code = forms.CharField(
        label="学校コード",
        max_length=13,
        help_text="文部科学省の13桁の学校コード（小学校 B1…、中学校 C1…、義務教育学校 C2…）",
    )
    is_active = forms.BooleanField(label="運営中", required=False, initial=True)


class SchoolYearForm(forms.Form):
    year = forms.IntegerField(label="年度（西暦）", min_value=2000, max_value=2100)


class TermsForm(forms.Form):
    """Up to three terms; a blank row is ignored (2学期制 leaves the third empty)."""

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, 4):
            initial = terms[i - 1] if i <= len(terms) else None
            self.fields[f"name_{i}"] = forms.CharField(
                label=f"{i} 名称",
                max_length=20,
                required=False,
                initial=initial.name if initial else "",
            )
            self.fields[f"start_{i}"] = forms.DateField(
                label=f"{i} 開始日",
                required=False,
                widget=DATE,
                initial=initial.start if initial else None,
            )
            self.fields[f"end_{i}"] = forms.DateField(
                label=f"{i} 終了日",
                required=False,
                widget=DATE,
                initial=initial.end if initial else None,
            )

    def rows(self):
        return [(self[f"name_{i}"], self[f"start_{i}"], self[f"end_{i}"]) for i in range(1, 4)]

    def drafts(self):
        from schools.services import TermDraft

        result = []
        for i in range(1, 4):
            name, start, end = (self.cleaned_data.get(f"{k}_{i}") for k in ("name", "start", "end"))
            if not (name or start or end):
                continue
            if not (name and start and end):
                self.add_error(f"name_{i}", "名称・開始日・終了日をすべて入力してください。")
                continue
            result.append(TermDraft(name, start, end))
        return result


class ClassroomForm(forms.Form):
    grade = forms.TypedChoiceField(label="学年", coerce=int, required=False, empty_value=None)
    name = forms.CharField(label="学級名", max_length=30, help_text="例: 1組、なかよし学級")
    is_special_needs = forms.BooleanField(label="特別支援学級（学年をまたぐ）", required=False)
    sort_order = forms.IntegerField(label="並び順", min_value=0, initial=0, required=False)

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "（特別支援学級）")] + [
            (g, f"{g}年") for g in school.grades
        ]


class StudentForm(forms.Form):
    name = forms.CharField(
        label="氏名", max_length=100, help_text="書かれたとおりに入力（𠮷・髙も可）"
    )
    kana = forms.CharField(label="ふりがな", max_length=200)
    sex = forms.ChoiceField(label="性別", choices=[("", "—")] + Student.Sex.choices, required=False)
    birth_date = forms.DateField(label="生年月日", required=False, widget=DATE)
    student_number = forms.CharField(label="学籍番号", max_length=20, required=False)


class EnrolForm(StudentForm):
    entry = forms.ChoiceField(
        label="在籍事由",
        choices=[
            (Enrolment.Entry.ADMISSION, Enrolment.Entry.ADMISSION.label),
            (Enrolment.Entry.TRANSFER_IN, Enrolment.Entry.TRANSFER_IN.label),
        ],
    )
    enrolled_on = forms.DateField(label="在籍開始日（転入日）", widget=DATE)
    roll_number = forms.IntegerField(
        label="出席番号", min_value=1, required=False, help_text="空欄なら最後の番号の次"
    )
    grade = forms.TypedChoiceField(
        label="学年（特別支援学級のみ）", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "—")] + [
            (g, f"{g}年") for g in classroom.school.grades
        ]
        if not classroom.is_special_needs:
            del self.fields["grade"]


class TransferOutForm(forms.Form):
    exit = forms.ChoiceField(
        label="異動事由",
        choices=[
            (Enrolment.Exit.TRANSFER_OUT, Enrolment.Exit.TRANSFER_OUT.label),
            (Enrolment.Exit.OTHER, Enrolment.Exit.OTHER.label),
        ],
    )
    left_on = forms.DateField(
        label="最終在籍日", widget=DATE, help_text="転出する日（この日までは在籍として数えます）"
    )
    reason = forms.CharField(label="備考（転出先など）", required=False, max_length=200)


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label="役割",
        choices=[("", "選んでください")]
        + [
            (r, r.label)
            for r in (
                Role.HOMEROOM,
                Role.SUBJECT,
                Role.SCHOOL_ADMIN,
                Role.BOE_VIEWER,
                Role.BOE_ADMIN,
            )
        ],
    )
    title = forms.ChoiceField(
        label="職名（学校管理者）",
        required=False,
        choices=[("", "—")] + RoleAssignment.Title.choices,
    )
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none(), required=False)
    school_year = forms.ModelChoiceField(
        label="年度", queryset=SchoolYear.objects.none(), required=False
    )
    classroom = forms.ModelChoiceField(
        label="学級（学級担任・教科担任）", queryset=Classroom.objects.none(), required=False
    )
    subject = forms.ModelChoiceField(
        label="教科（教科担任）", queryset=Subject.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        live = SchoolYear.objects.exclude(state=SchoolYear.State.ARCHIVED)
        self.fields["school"].queryset = School.objects.filter(is_active=True)
        self.fields["school_year"].queryset = live
        self.fields["classroom"].queryset = Classroom.objects.filter(
            school_year__in=live
        ).select_related("school", "school_year")
        self.fields["classroom"].label_from_instance = lambda c: (
            f"{c.school.name} {c.label} ({c.school_year.year})"
        )
        self.fields["subject"].queryset = Subject.objects.all()
        self.fields["subject"].label_from_instance = lambda s: (
            f"{s.name} ({s.get_school_type_display()})"
        )


class SchoolRoleForm(forms.Form):
    """A role of one school in one year, given by the school's administrator (年度更新の下書き)."""

    staff = forms.ModelChoiceField(label="教職員", queryset=Staff.objects.none())
    role = forms.ChoiceField(
        label="役割",
        choices=[(r, r.label) for r in (Role.HOMEROOM, Role.SUBJECT, Role.SCHOOL_ADMIN)],
    )
    classroom = forms.ModelChoiceField(
        label="学級（学級担任・教科担任）", queryset=Classroom.objects.none(), required=False
    )
    subject = forms.ModelChoiceField(
        label="教科（教科担任）", queryset=Subject.objects.none(), required=False
    )
    title = forms.ChoiceField(
        label="職名（学校管理者）",
        required=False,
        choices=[("", "—")] + RoleAssignment.Title.choices,
    )

    def __init__(self, *args, school: School, year: SchoolYear, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = Staff.objects.order_by("kana", "id")
        self.fields["staff"].label_from_instance = lambda s: f"{s.name}（{s.kana}）"
        self.fields["classroom"].queryset = Classroom.objects.filter(
            school=school, school_year=year
        ).order_by("is_special_needs", "grade", "sort_order", "name")
        self.fields["classroom"].label_from_instance = lambda c: c.label
        self.fields["subject"].queryset = Subject.objects.filter(school_type=school.school_type)


class ChangeClassForm(forms.Form):
    classroom = forms.ModelChoiceField(label="新しい学級", queryset=Classroom.objects.none())
    on = forms.DateField(label="変更日", widget=DATE, help_text="この日から新しい学級に在籍します")
    roll_number = forms.IntegerField(
        label="出席番号", min_value=1, required=False, help_text="空欄なら最後の番号の次"
    )

    def __init__(self, *args, enrolment: Enrolment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classroom"].queryset = Classroom.objects.filter(
            school_id=enrolment.school_id, school_year_id=enrolment.school_year_id
        ).exclude(pk=enrolment.classroom_id)
        self.fields["classroom"].label_from_instance = lambda c: c.label


class AuditSearchForm(forms.Form):
    """The board's search of the 操作記録 (GET): every field optional; bad input is a form error."""

    person = forms.CharField(label="操作者 (氏名・ログインID)", max_length=100, required=False)
    student = forms.CharField(
        label="児童生徒 (氏名・ふりがな・番号)", max_length=100, required=False
    )
    action = forms.ChoiceField(label="操作", required=False)
    date_from = forms.DateField(label="期間 (から)", required=False, widget=DATE)
    date_to = forms.DateField(label="期間 (まで)", required=False, widget=DATE)
    student_id = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        from schools import audit

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "すべて")] + sorted(
            ((code, f"{label} ({code})") for code, label in audit.ACTIONS.items()),
            key=lambda choice: choice[0],
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "終了日は開始日以降にしてください。")
        for name in ("person", "student"):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, "使えない文字が含まれています。")
        return data

    def search(self):
        """The ``audit.Search`` of a valid form."""
        from schools import audit

        data = self.cleaned_data
        return audit.Search(
            person=data.get("person") or "",
            student=data.get("student") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            student_id=data.get("student_id"),
        )
