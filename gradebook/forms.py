"""Forms of the gradebook pages (validation of what a person types; the rules stay in services)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from gradebook import layouts, rules
from gradebook.models import Assessment, GradingSettings
from gradebook.reportcards import ATTENDANCE_LABELS

LEVEL_CHOICES = [("", "自動 (変更しない)"), ("A", "A"), ("B", "B"), ("C", "C")]


class AssessmentForm(forms.Form):
    title = forms.CharField(label="名称", max_length=60)
    kind = forms.ChoiceField(label="種類", choices=Assessment.Kind.choices)
    date = forms.DateField(
        label="実施日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    max_points = forms.DecimalField(
        label="満点", min_value=Decimal("0.1"), max_digits=6, decimal_places=1, initial=100
    )
    weight_knowledge = forms.DecimalField(
        label="知識・技能の重み",
        min_value=0,
        max_digits=5,
        decimal_places=2,
        initial=0,
        help_text="この材料が観点に入る重み。使わない観点は 0。",
    )
    weight_thinking = forms.DecimalField(
        label="思考・判断・表現の重み", min_value=0, max_digits=5, decimal_places=2, initial=0
    )
    weight_attitude = forms.DecimalField(
        label="主体的に学習に取り組む態度の重み",
        min_value=0,
        max_digits=5,
        decimal_places=2,
        initial=0,
    )
    sort_order = forms.IntegerField(label="並び順", min_value=0, required=False)

    def __init__(self, *args, instance_data: Assessment | None = None, term=None, **kwargs):
        if instance_data is not None and not args:
            kwargs.setdefault("initial", {f: getattr(instance_data, f) for f in self.base_fields})
        super().__init__(*args, **kwargs)
        self.term = term
        for name in (
            "max_points",
            "weight_knowledge",
            "weight_thinking",
            "weight_attitude",
            "sort_order",
        ):
            self.fields[name].widget.attrs.update({"inputmode": "decimal"})

    def clean_date(self):
        date = self.cleaned_data.get("date")
        if date and self.term and not (self.term.start <= date <= self.term.end):
            raise forms.ValidationError(
                f"{self.term.name} の期間 ({self.term.start:%Y/%m/%d}〜{self.term.end:%Y/%m/%d}) の日付にしてください。"
            )
        return date

    def clean(self):
        cleaned = super().clean()
        weights = [
            cleaned.get(f) for f in ("weight_knowledge", "weight_thinking", "weight_attitude")
        ]
        if all(w is not None for w in weights) and not any(w > 0 for w in weights):
            self.add_error("weight_knowledge", "少なくとも一つの観点に重みを付けてください。")
        if cleaned.get("sort_order") is None:
            cleaned["sort_order"] = 0
        return cleaned


class OverrideForm(forms.Form):
    knowledge = forms.ChoiceField(
        label=rules.VIEWPOINT_LABELS[rules.KNOWLEDGE], choices=LEVEL_CHOICES, required=False
    )
    thinking = forms.ChoiceField(
        label=rules.VIEWPOINT_LABELS[rules.THINKING], choices=LEVEL_CHOICES, required=False
    )
    attitude = forms.ChoiceField(
        label=rules.VIEWPOINT_LABELS[rules.ATTITUDE], choices=LEVEL_CHOICES, required=False
    )
    rating = forms.TypedChoiceField(label="評定", required=False, coerce=int, empty_value=None)
    reason = forms.CharField(
        label="変更の理由", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(label="版", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, scale: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if scale:
            self.fields["rating"].choices = [("", "自動 (変更しない)")] + [
                (str(i), str(i)) for i in range(scale, 0, -1)
            ]
        else:
            del self.fields["rating"]


class SettingsForm(forms.ModelForm):
    """Thresholds, the rules, and the two custom tables (one select per combination)."""

    class Meta:
        model = GradingSettings
        fields = ["threshold_a", "threshold_b", "rule_5", "rule_3", "report_card_excel"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for scale in (5, 3):
            table = getattr(self.instance, f"table_{scale}", None) or rules.default_table(scale)
            for key in rules.COMBINATION_KEYS:
                self.fields[f"c{scale}_{key}"] = forms.TypedChoiceField(
                    label=key,
                    coerce=int,
                    initial=table.get(key),
                    required=False,
                    empty_value=None,
                    choices=[(i, str(i)) for i in range(scale, 0, -1)],
                )

    def table_fields(self, scale: int):
        return [self[f"c{scale}_{key}"] for key in rules.COMBINATION_KEYS]

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("threshold_a"), cleaned.get("threshold_b")
        if a is not None and b is not None and not b < a:
            self.add_error("threshold_b", "B のしきい値は A より小さくしてください。")
        for scale in (5, 3):
            # a combination left out of the request keeps its current value
            cleaned[f"table_{scale}"] = {
                key: cleaned.get(f"c{scale}_{key}") or self.fields[f"c{scale}_{key}"].initial
                for key in rules.COMBINATION_KEYS
            }
        return cleaned

    def settings_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["table_5"] = self.cleaned_data["table_5"]
        data["table_3"] = self.cleaned_data["table_3"]
        return data

    def validate_unique(self):
        pass  # the service saves the row of the right school


class LayoutForm(forms.Form):
    """The 通知表 layout as choices and plain text (gradebook.layouts.Layout): no markup."""

    school_name = forms.CharField(
        label="学校名 (空欄: 各学校の名前)", max_length=layouts.MAX_TEXT, required=False
    )
    principal = forms.CharField(
        label="校長名 (空欄: 表示しない)", max_length=layouts.MAX_TEXT, required=False
    )
    rating = forms.BooleanField(label="評定", required=False)
    note = forms.BooleanField(label="評価の説明 (A・B・C の意味)", required=False)
    attendance_terms = forms.ChoiceField(
        label="出欠の記録に示す学期",
        choices=list(layouts.ATTENDANCE_TERMS.items()),
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        count = len(layouts.SECTIONS)
        for key, name in layouts.SECTIONS.items():
            self.fields[f"show_{key}"] = forms.BooleanField(label=name, required=False)
            self.fields[f"order_{key}"] = forms.IntegerField(
                label=f"{name}の順序", min_value=1, max_value=count
            )
        for key, name in layouts.LABEL_NAMES.items():
            self.fields[f"label_{key}"] = forms.CharField(
                label=name,
                max_length=layouts.MAX_TEXT,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": layouts.LABELS[key]}),
            )
        for vp in rules.VIEWPOINTS:
            self.fields[f"vp_{vp}"] = forms.BooleanField(
                label=rules.VIEWPOINT_LABELS[vp], required=False
            )
        for label, attr in ATTENDANCE_LABELS:
            self.fields[f"att_{attr}"] = forms.BooleanField(label=label, required=False)
        for side in layouts.SIDES:
            self.fields[f"margin_{side}"] = forms.IntegerField(
                label=f"{layouts.SIDE_NAMES[side]} (mm)",
                min_value=layouts.MARGIN_MIN,
                max_value=layouts.MARGIN_MAX,
                widget=forms.NumberInput(attrs={"class": "num"}),
            )

    @staticmethod
    def initial_for(layout: layouts.Layout) -> dict:
        initial = {
            "school_name": layout.school_name,
            "principal": layout.principal,
            "rating": layout.rating,
            "note": layout.note,
            "attendance_terms": layout.attendance_terms,
        }
        hidden = [k for k in layouts.SECTIONS if k not in layout.sections]
        for position, key in enumerate([*layout.sections, *hidden], start=1):
            initial[f"show_{key}"] = key in layout.sections
            initial[f"order_{key}"] = position
        initial.update({f"label_{k}": v for k, v in layout.labels.items()})
        initial.update({f"vp_{vp}": vp in layout.viewpoints for vp in rules.VIEWPOINTS})
        initial.update(
            {f"att_{c}": c in layout.attendance_columns for c in layouts.ATTENDANCE_COLUMNS}
        )
        initial.update({f"margin_{side}": layout.margins[side] for side in layouts.SIDES})
        return initial

    def layout(self) -> layouts.Layout:
        """The layout the valid form describes."""
        data = self.cleaned_data
        standard = list(layouts.SECTIONS)
        shown = sorted(
            (k for k in standard if data.get(f"show_{k}")),
            key=lambda k: (data.get(f"order_{k}") or 0, standard.index(k)),
        )
        return layouts.Layout.from_dict(
            {
                "sections": shown,
                "labels": {k: data.get(f"label_{k}") for k in layouts.LABELS},
                "school_name": data.get("school_name"),
                "principal": data.get("principal"),
                "viewpoints": [vp for vp in rules.VIEWPOINTS if data.get(f"vp_{vp}")],
                "rating": bool(data.get("rating")),
                "attendance_columns": [
                    c for c in layouts.ATTENDANCE_COLUMNS if data.get(f"att_{c}")
                ],
                "attendance_terms": data.get("attendance_terms") or "to_date",
                "note": bool(data.get("note")),
                "margins": {side: data.get(f"margin_{side}") for side in layouts.SIDES},
            }
        )

    def section_rows(self):
        """(name, show field, order field) per section, for the editor's table."""
        return [
            (name, self[f"show_{key}"], self[f"order_{key}"])
            for key, name in layouts.SECTIONS.items()
        ]

    def group(self, prefix: str):
        return [self[name] for name in self.fields if name.startswith(prefix)]


class SubjectThresholdsForm(forms.Form):
    subject = forms.ModelChoiceField(label="教科", queryset=None)
    threshold_a = forms.DecimalField(
        label="A のしきい値 (%)", min_value=0, max_value=100, decimal_places=2
    )
    threshold_b = forms.DecimalField(
        label="B のしきい値 (%)", min_value=0, max_value=100, decimal_places=2
    )

    def __init__(self, *args, subjects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects
        self.fields["subject"].label_from_instance = lambda s: (
            f"{s.get_school_type_display()} {s.name}"
        )

    def clean(self):
        cleaned = super().clean()
        a, b = cleaned.get("threshold_a"), cleaned.get("threshold_b")
        if a is not None and b is not None and not b < a:
            self.add_error("threshold_b", "B のしきい値は A より小さくしてください。")
        return cleaned


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)
