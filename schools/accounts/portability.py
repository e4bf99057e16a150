"""The logins' part of leaving with all the data: user names and states, never secrets.

Password hashes, second factors, API tokens, sessions and failed-login records stay behind:
an imported municipality's people get new passwords from their administrator.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from schools.accounts.models import AccountState
from schools.leaving import Table

SECRETS = "秘密の情報 (書き出さない)"


def tables() -> list[Table]:
    return [Table(get_user_model(), omit=("password",)), Table(AccountState)]


def excluded() -> dict[str, str]:
    return {
        "accounts_apitoken": f"APIトークン: {SECRETS}",
        "authtoken_token": f"APIトークン (DRF): {SECRETS}",
        "django_session": f"ログイン中のセッション: {SECRETS}",
        "otp_totp_totpdevice": f"二要素認証の鍵: {SECRETS}",
        "otp_static_staticdevice": f"二要素認証の予備コード: {SECRETS}",
        "otp_static_statictoken": f"二要素認証の予備コード: {SECRETS}",
        "axes_accessattempt": "ログイン失敗の記録 (ロックアウトの判定用)",
        "axes_accessattemptexpiration": "ログイン失敗の記録 (ロックアウトの判定用)",
        "axes_accessfailurelog": "ログイン失敗の記録 (ロックアウトの判定用)",
        "axes_accesslog": "ログインの記録 (ロックアウトの判定用)",
        "auth_group": "Djangoの権限グループ (Aiは使わない: 役割は schools_roleassignment)",
        "auth_group_permissions": "Djangoの権限グループ (Aiは使わない)",
        "auth_permission": "Djangoの権限の一覧 (Aiは使わない)",
        "auth_user_groups": "Djangoの権限グループ (Aiは使わない)",
        "auth_user_user_permissions": "Djangoの権限 (Aiは使わない)",
    }
