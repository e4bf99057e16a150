"""Calendar forms of the school administrator (the services validate the rest)."""

from __future__ import annotations

from django import forms

from schools.models import Classroom, Closure, School, SchoolYear

DATE = forms.DateInput(attrs={"type": "date"})


class VacationForm(forms.Form):
    name = forms.CharField(label="名称", max_length=30, initial="夏季休業")
    start = forms.DateField(label="開始日", widget=DATE)
    end = forms.DateField(label="終了日", widget=DATE)


class OverrideForm(forms.Form):
    date = forms.DateField(label="日付", widget=DATE)
    is_school_day = forms.TypedChoiceField(
        label="この日を",
        choices=[("1", "授業日にする (土曜授業など)"), ("0", "休みにする (振替休業日など)")],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label="行事・理由", max_length=50, required=False)


class ClosureForm(forms.Form):
    kind = forms.ChoiceField(label="種類", choices=Closure.Kind.choices)
    grade = forms.TypedChoiceField(
        label="学年 (学年閉鎖)", required=False, coerce=int, empty_value=None
    )
    classroom = forms.ModelChoiceField(
        label="学級 (学級閉鎖)", queryset=Classroom.objects.none(), required=False
    )
    start = forms.DateField(label="開始日", widget=DATE)
    end = forms.DateField(label="終了日", widget=DATE)
    reason = forms.CharField(label="理由", max_length=100)

    def __init__(self, school: School, school_year: SchoolYear, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "―")] + [(g, f"{g}年") for g in school.grades]
        self.fields["classroom"].queryset = Classroom.objects.filter(
            school=school, school_year=school_year
        )
