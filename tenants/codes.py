"""全国地方公共団体コード (local government codes) and sub-domain rules: pure functions."""

from __future__ import annotations

import re

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> int:
    """The 検査数字 of a 5-digit code: 11 minus the weighted sum mod 11, last digit."""
    total = sum(int(d) * w for d, w in zip(first_five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def code_error(code: str) -> str | None:
    """Why ``code`` is not a valid 6-digit 全国地方公共団体コード, or None."""
    if not re.fullmatch(r"[0-9]{6}", code or ""):
        return "団体コードは6桁の数字で入力してください。"
    if not 1 <= int(code[:2]) <= 47:
        return "団体コードの先頭2桁は都道府県番号 (01〜47) です。"
    if check_digit(code[:5]) != int(code[5]):
        return (
            f"団体コードの検査数字が正しくありません (6桁目は {check_digit(code[:5])} のはずです)。"
        )
    return None


def prefecture_of(code: str) -> str:
    return PREFECTURES[int(code[:2]) - 1]


SUBDOMAIN_RE = re.compile(r"^[a-z][a-z0-9-]{1,29}[a-z0-9]$")
RESERVED_SUBDOMAINS = frozenset(
    {"www", "api", "admin", "public", "static", "media", "mail", "template", "tenant_template",
     "operator", "operators", "ops", "status", "login", "app"}
)  # fmt: skip


def subdomain_error(subdomain: str) -> str | None:
    if not SUBDOMAIN_RE.match(subdomain or ""):
        return (
            "サブドメインは半角英小文字で始まり、英小文字・数字・ハイフンからなる3〜31文字で"
            "入力してください (例: fujiyoshida)。"
        )
    if "--" in subdomain:
        return "サブドメインにハイフンを続けて使うことはできません。"
    if subdomain in RESERVED_SUBDOMAINS:
        return f"「{subdomain}」は予約されているため使えません。"
    return None


def schema_name_for(subdomain: str) -> str:
    """The PostgreSQL schema of a municipality: its sub-domain, '-' as '_', never a reserved name."""
    return "m_" + subdomain.replace("-", "_")
