"""The 通知表 layout a board chooses: structured settings rendered by Ai's own template.

Where the layout lives: one ``ReportCardLayout`` row per municipality (its own schema),
edited by the BoE administrator at /grades/report-layout/ with a live preview; without a row
the standard layout (``Layout()``) is used. The board chooses and orders the sections,
renames headings and labels, picks the columns (観点, 評定, 出欠 figures), the paper margins,
a title, the school name and the principal's name. Everything it types is plain text: the
fixed template ``gradebook/report_card/card.html`` autoescapes it, so no board text ever
becomes markup or script on a principal's or teacher's page (issue 10, finding 1), and
rendering costs what the fixed template costs: there is no layout language to bound
(finding 2). Layouts written in the old template editor were converted by migration 0004;
a body it could not map is kept (``legacy_body``) but never executed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field

from django.template.loader import get_template
from django.utils.safestring import SafeString

from gradebook import rules
from gradebook.reportcards import ATTENDANCE_LABELS, ReportCard
from schools.wareki import wareki_date

# section key -> what the editor calls it; the tuple order is the standard order
SECTIONS: dict[str, str] = {
    "header": "見出し (学校・学級・氏名)",
    "grades": "学習の記録",
    "studies": "外国語活動・総合的な学習の時間",
    "special": "特別活動の記録",
    "behaviour": "行動の記録",
    "attendance": "出欠の記録",
    "remark": "所見",
    "certificate": "修了証 (年度の最後の学期だけ)",
    "seals": "押印欄",
}
# label key -> standard text (every heading and caption a board may rename)
LABELS: dict[str, str] = {
    "title": "通知表",
    "school": "学校",
    "classroom": "学級",
    "number": "番号",
    "name": "氏名",
    "principal": "校長",
    "grades": "学習の記録",
    "subject": "教科",
    "rating": "評定",
    "attendance": "出欠の記録",
    "remark": "所見",
    "seal_principal": "校長印",
    "seal_homeroom": "担任印",
    "seal_guardian": "保護者印",
    "certificate": "修了証",
    "term_column": "学期",
    "total": "合計",
    "foreign_language": "外国語活動",
    "integrated_study": "総合的な学習の時間",
    "special": "特別活動の記録",
    "behaviour": "行動の記録",
}
LABEL_NAMES: dict[str, str] = {
    "title": "表題",
    "school": "「学校」の欄名",
    "classroom": "「学級」の欄名",
    "number": "「番号」の欄名",
    "name": "「氏名」の欄名",
    "principal": "「校長」の欄名",
    "grades": "学習の記録の見出し",
    "subject": "「教科」の列名",
    "rating": "「評定」の列名",
    "attendance": "出欠の記録の見出し",
    "remark": "所見の見出し",
    "seal_principal": "押印欄 1",
    "seal_homeroom": "押印欄 2",
    "seal_guardian": "押印欄 3",
    "certificate": "修了証の見出し",
    "term_column": "出欠の記録の「学期」の列名",
    "total": "出欠の記録の「合計」の行名",
    "foreign_language": "外国語活動の欄名",
    "integrated_study": "総合的な学習の時間の欄名",
    "special": "特別活動の記録の見出し",
    "behaviour": "行動の記録の見出し",
}
# Which terms the 出欠の記録 shows: every term so far with the year's total, or this term only.
ATTENDANCE_TERMS: dict[str, str] = {
    "to_date": "これまでの学期ごと + 年間の合計",
    "current": "この学期だけ",
}
ATTENDANCE_COLUMNS: tuple[str, ...] = tuple(attr for _, attr in ATTENDANCE_LABELS)
MAX_TEXT = 40  # characters of any one label, name or title
MARGIN_MIN, MARGIN_MAX, MARGIN_DEFAULT = 5, 30, 12  # millimetres
SIDES = ("top", "right", "bottom", "left")
SIDE_NAMES = {"top": "上", "right": "右", "bottom": "下", "left": "左"}


def clean_text(value: object, limit: int = MAX_TEXT) -> str:
    """Plain one-line text: no control or format characters, at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    return " ".join(text.split())[:limit]


def _margin(value: object) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return MARGIN_DEFAULT
    return min(max(number, MARGIN_MIN), MARGIN_MAX)


@dataclass(frozen=True)
class Layout:
    """A board's 通知表 layout; every value is checked, any stored JSON gives a valid one."""

    sections: tuple[str, ...] = tuple(SECTIONS)  # shown, in this order
    labels: dict[str, str] = field(default_factory=dict)  # only the renamed ones
    school_name: str = ""  # blank: the school's own name
    principal: str = ""  # blank: no principal line
    viewpoints: tuple[str, ...] = tuple(rules.VIEWPOINTS)
    rating: bool = True
    attendance_columns: tuple[str, ...] = ATTENDANCE_COLUMNS
    attendance_terms: str = "to_date"  # a key of ATTENDANCE_TERMS
    note: bool = True  # the line explaining A/B/C
    margins: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SIDES, MARGIN_DEFAULT))

    @classmethod
    def from_dict(cls, data: object) -> Layout:
        if not isinstance(data, dict):
            return cls()

        def keys(value: object, allowed: tuple[str, ...], default: tuple[str, ...]):
            if not isinstance(value, (list, tuple)):
                return default
            return tuple(dict.fromkeys(k for k in value if isinstance(k, str) and k in allowed))

        labels = data.get("labels") if isinstance(data.get("labels"), dict) else {}
        margins = data.get("margins") if isinstance(data.get("margins"), dict) else {}
        viewpoints = keys(data.get("viewpoints"), tuple(rules.VIEWPOINTS), tuple(rules.VIEWPOINTS))
        return cls(
            sections=keys(data.get("sections"), tuple(SECTIONS), tuple(SECTIONS)),
            labels={
                k: text for k in LABELS if (text := clean_text(labels.get(k))) and text != LABELS[k]
            },
            school_name=clean_text(data.get("school_name")),
            principal=clean_text(data.get("principal")),
            viewpoints=tuple(vp for vp in rules.VIEWPOINTS if vp in viewpoints),
            rating=data.get("rating", True) is not False,
            attendance_columns=tuple(
                c
                for c in ATTENDANCE_COLUMNS
                if c in keys(data.get("attendance_columns"), ATTENDANCE_COLUMNS, ATTENDANCE_COLUMNS)
            ),
            attendance_terms=(
                data["attendance_terms"]
                if data.get("attendance_terms") in ATTENDANCE_TERMS
                else "to_date"
            ),
            note=data.get("note", True) is not False,
            margins={side: _margin(margins.get(side, MARGIN_DEFAULT)) for side in SIDES},
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("sections", "viewpoints", "attendance_columns"):
            data[key] = list(data[key])
        return data

    def label(self, key: str) -> str:
        return self.labels.get(key) or LABELS[key]

    @property
    def sheet_style(self) -> str:
        """The sheet's margins as an inline style (integers only, from ``_margin``)."""
        m = self.margins
        return (
            f"--rc-mt:{m['top']}mm;--rc-mr:{m['right']}mm;"
            f"--rc-mb:{m['bottom']}mm;--rc-ml:{m['left']}mm"
        )


STANDARD = Layout()


def card_data(card: ReportCard, layout: Layout) -> dict:
    """Plain values of one card, cut to the columns the layout shows."""
    vps = layout.viewpoints
    has_ratings = layout.rating and any(line.scale for line in card.subjects)
    attendance = None
    if card.attendance is not None and layout.attendance_columns:

        def cut(figures: list[tuple[str, int]]) -> list[tuple[str, int]]:
            by_attr = dict(zip(ATTENDANCE_COLUMNS, figures, strict=False))
            return [by_attr[c] for c in layout.attendance_columns if c in by_attr]

        rows = (
            card.attendance_terms
            if layout.attendance_terms == "to_date" and card.attendance_terms
            else [(card.term.name, card.attendance)]
        )
        as_of = card.attendance_as_of
        attendance = {
            # 「11月30日現在」 while the term is not over (the days to come are not counted)
            "as_of": f"{as_of.month}月{as_of.day}日現在" if as_of else "",
            "labels": [label for label, _ in cut(card.attendance)],
            "rows": [{"term": name, "values": [v for _, v in cut(f)]} for name, f in rows],
            "total": (
                [v for _, v in cut(card.attendance_total)]
                if layout.attendance_terms == "to_date" and card.attendance_total is not None
                else None
            ),
        }
    grade = card.enrolment.grade or card.classroom.grade
    return {
        "school": layout.school_name or card.school.name,
        "principal": layout.principal,
        "school_year": str(card.classroom.school_year),
        "classroom": card.classroom.label,
        "term": card.term.name,
        "roll_number": card.enrolment.roll_number,
        "name": card.student.name,
        "kana": card.student.kana,
        "viewpoint_labels": [rules.VIEWPOINT_LABELS[vp] for vp in vps],
        "subjects": [
            {
                "name": line.subject.name,
                "levels": [line.levels.get(vp) or "" for vp in vps],
                "rating": line.rating or "",
                "has_rating": bool(line.scale),
            }
            for line in card.subjects
        ],
        "has_ratings": has_ratings,
        "scale": next((line.scale for line in card.subjects if line.scale), ""),
        "attendance": attendance,
        "behaviour": card.behaviour,
        "special": card.special,
        "foreign_language": card.foreign_language,
        "integrated_study": card.integrated_study,
        "remark": card.remark,
        "remark_size": _remark_size(card.remark),
        "certificate": (
            {
                "text": f"第{grade}学年の課程を修了したことを証します。"
                if grade
                else "この学年の課程を修了したことを証します。",
                "date": wareki_date(card.term.end),
            }
            if card.last_term
            else None
        ),
    }


def _remark_size(text: str) -> str:
    """A smaller type for a long 所見, so that the sheet stays one A4 page (rc-remark-*)."""
    length = len(text)
    if length > 1200:
        return "xs"
    if length > 700:
        return "s"
    if length > 350:
        return "m"
    return ""


def render_cards(cards: list[ReportCard], layout: Layout = STANDARD) -> list[SafeString]:
    """One sheet's inner HTML per card, from Ai's fixed template (all values escaped)."""
    template = get_template("gradebook/report_card/card.html")
    labels = {key: layout.label(key) for key in LABELS}
    return [
        SafeString(
            template.render({"card": card_data(c, layout), "layout": layout, "labels": labels})
        )
        for c in cards
    ]


# --- the old template layouts (before issue 10) ---------------------------------------------


def from_legacy_body(body: str, standard_body: str) -> tuple[Layout, bool]:
    """Map a layout written in the old template editor onto the structured one.

    Returns (layout, converted): the standard body (whitespace aside) converts exactly;
    any other body gives the standard sections it mentions, and ``converted`` False so the
    editor tells the board its own template is kept but no longer used.
    """
    if " ".join(body.split()) == " ".join(standard_body.split()):
        return STANDARD, True
    sections = ["header"]
    if "card.subjects" in body:
        sections.append("grades")
    if "card.attendance" in body:
        sections.append("attendance")
    if "card.remark" in body:
        sections.append("remark")
    if "印" in body:
        sections.append("seals")
    return Layout(sections=tuple(sections)), False
