"""Synthetic roster data at realistic scale, for benchmarks and anyone who needs a big roster.

    from bench import synth
    students = synth.students(10_000, year=2026)            # deterministic for a seed
    data = synth.roster_xlsx(students, title="令和8年度 名簿")  # .xlsx bytes (write-only)
    synth.roster_csv(students, encoding="cp932")            # or CSV as Japanese Excel writes it
    synth.classes(students)                                 # [(grade, "1組"), ...] to create first

Names are fictional combinations of common family and given names, with their
kana; about 1 in 50 uses a character that must survive import unchanged (𠮷, 𡈽,
髙, 﨑, 邊, 齋). Birth dates follow the Japanese school-age rule (a first-year
of 2026 was born 2019-04-02 .. 2020-04-01). Classes hold 30-35 students.
No database access: pure Python, usable outside Django.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

FAMILY = (
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("山本", "やまもと"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山田", "やまだ"),
    ("佐々木", "ささき"),
    ("山口", "やまぐち"),
    ("松本", "まつもと"),
    ("井上", "いのうえ"),
    ("木村", "きむら"),
    ("林", "はやし"),
    ("斎藤", "さいとう"),
    ("清水", "しみず"),
    ("山崎", "やまざき"),
    ("森", "もり"),
    ("池田", "いけだ"),
    ("橋本", "はしもと"),
    ("阿部", "あべ"),
    ("石川", "いしかわ"),
    ("山下", "やました"),
    ("中島", "なかじま"),
    ("石井", "いしい"),
    ("小川", "おがわ"),
    ("前田", "まえだ"),
    ("岡田", "おかだ"),
    ("長谷川", "はせがわ"),
    ("藤田", "ふじた"),
    ("後藤", "ごとう"),
    ("近藤", "こんどう"),
    ("村上", "むらかみ"),
    ("遠藤", "えんどう"),
    ("青木", "あおき"),
    ("坂本", "さかもと"),
    ("富士田", "ふじた"),
    ("河口", "かわぐち"),
    ("忍野", "おしの"),
    ("鳴沢", "なるさわ"),
)
# Characters a careless NFKC or a legacy code page would damage.
RARE_FAMILY = (
    ("𠮷田", "よしだ"),
    ("𡈽屋", "つちや"),
    ("髙橋", "たかはし"),
    ("山﨑", "やまさき"),
    ("渡邊", "わたなべ"),
    ("齋藤", "さいとう"),
)
GIVEN_M = (
    ("蓮", "れん"),
    ("陽翔", "はると"),
    ("湊", "みなと"),
    ("蒼", "あお"),
    ("樹", "いつき"),
    ("大和", "やまと"),
    ("悠真", "ゆうま"),
    ("陽太", "ようた"),
    ("朝陽", "あさひ"),
    ("律", "りつ"),
    ("颯真", "そうま"),
    ("大翔", "ひろと"),
    ("健太", "けんた"),
    ("翔", "しょう"),
)
GIVEN_F = (
    ("陽葵", "ひまり"),
    ("凛", "りん"),
    ("詩", "うた"),
    ("結菜", "ゆいな"),
    ("葵", "あおい"),
    ("紬", "つむぎ"),
    ("芽依", "めい"),
    ("澪", "みお"),
    ("結衣", "ゆい"),
    ("咲良", "さくら"),
    ("美桜", "みお"),
    ("花", "はな"),
    ("杏", "あん"),
    ("心春", "こはる"),
)

HEADER = ("学年", "組", "出席番号", "氏名", "ふりがな", "性別", "生年月日", "学籍番号")


@dataclass(frozen=True)
class SynthStudent:
    grade: int
    class_name: str
    roll_number: int
    name: str
    kana: str
    sex: str  # 男 / 女
    birth_date: dt.date
    student_number: str

    def row(self) -> tuple:
        return (
            self.grade,
            self.class_name,
            self.roll_number,
            self.name,
            self.kana,
            self.sex,
            self.birth_date,
            self.student_number,
        )


def birth_range(year: int, grade: int) -> tuple[dt.date, dt.date]:
    """Born 2 April .. 1 April: the children of one 学年 in 年度 ``year``."""
    return dt.date(year - 6 - grade, 4, 2), dt.date(year - 5 - grade, 4, 1)


def students(
    n: int,
    *,
    year: int = 2026,
    grades: Sequence[int] = (1, 2, 3, 4, 5, 6),
    class_size: tuple[int, int] = (30, 35),
    seed: int = 2026,
    number_prefix: str = "",
) -> list[SynthStudent]:
    """``n`` students spread evenly over ``grades``, in classes of ``class_size`` students."""
    rng = random.Random(seed)
    result: list[SynthStudent] = []
    per_grade = [n // len(grades) + (1 if i < n % len(grades) else 0) for i in range(len(grades))]
    serial = 0
    for grade, count in zip(grades, per_grade, strict=True):
        sizes = _class_sizes(count, class_size)
        first, last = birth_range(year, grade)
        span = (last - first).days
        for class_index, size in enumerate(sizes, start=1):
            people = []
            for _ in range(size):
                family = rng.choice(RARE_FAMILY) if rng.random() < 0.02 else rng.choice(FAMILY)
                male = rng.random() < 0.51
                given = rng.choice(GIVEN_M if male else GIVEN_F)
                people.append(
                    (
                        f"{family[0]}　{given[0]}",
                        f"{family[1]} {given[1]}",
                        "男" if male else "女",
                        first + dt.timedelta(days=rng.randrange(span + 1)),
                    )
                )
            # Roll numbers in kana order (五十音順), as most schools number them.
            people.sort(key=lambda p: p[1])
            for roll, (name, kana, sex, born) in enumerate(people, start=1):
                serial += 1
                result.append(
                    SynthStudent(
                        grade=grade,
                        class_name=f"{class_index}組",
                        roll_number=roll,
                        name=name,
                        kana=kana,
                        sex=sex,
                        birth_date=born,
                        student_number=f"{number_prefix}{year}{serial:06d}",
                    )
                )
    return result


def _class_sizes(count: int, class_size: tuple[int, int]) -> list[int]:
    if count == 0:
        return []
    classes = max(1, -(-count // class_size[1]))  # ceil: no class above the maximum
    base, extra = divmod(count, classes)
    return [base + (1 if i < extra else 0) for i in range(classes)]


def classes(rows: Sequence[SynthStudent]) -> list[tuple[int, str]]:
    """The (grade, class name) pairs the rows use, in order."""
    return list(dict.fromkeys((s.grade, s.class_name) for s in rows))


def roster_xlsx(rows: Sequence[SynthStudent], *, title: str = "") -> bytes:
    """An .xlsx roster with a title row above the header (as schools keep them)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名簿")
    if title:
        ws.append([title])
        ws.append([])
    ws.append(list(HEADER))
    for s in rows:
        ws.append(list(s.row()))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def roster_csv(rows: Sequence[SynthStudent], *, encoding: str = "utf-8-sig") -> bytes:
    """A CSV roster; ``cp932`` is what Japanese Excel writes (𠮷 and 𡈽 cannot be encoded)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for s in rows:
        writer.writerow([*s.row()[:6], f"{s.birth_date:%Y/%m/%d}", s.student_number])
    return buffer.getvalue().encode(encoding, errors="replace")


def shared_strings_bomb(
    count: int = 5_000_000, *, declared: int | None = None, sheet_rows: int = 2
) -> bytes:
    """A small .xlsx whose shared-string table holds ``count`` strings (all alike: tiny zipped).

    What issue 10 found: a 208 KB workbook like this held a worker 35 s and 500 MB inside
    openpyxl. Written by hand with zipfile (streamed, so building it costs little memory);
    ``declared`` is what the ``count``/``uniqueCount`` attributes claim (default: the truth;
    an attacker may claim 1).
    """
    import zipfile

    declared = count if declared is None else declared
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rel}">'
            '<sheets><sheet name="名簿" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}">'
            f'<dimension ref="A1:B{sheet_rows}"/><sheetData>'
            + "".join(
                f'<row r="{r}"><c r="A{r}" t="s"><v>{r - 1}</v></c></row>'
                for r in range(1, sheet_rows + 1)
            )
            + "</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(
                f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="{declared}"'
                f' uniqueCount="{declared}">'.encode()
            )
            batch = 10_000
            chunk = b"<si><t>x</t></si>" * batch
            for start in range(0, count, batch):
                member.write(chunk if start + batch <= count else chunk[: 17 * (count - start)])
            member.write(b"</sst>")
    return buffer.getvalue()
