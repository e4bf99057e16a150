from django.apps import AppConfig

AUDIT_ACTIONS = {
    "accounts.login.succeed": "ログイン",
    "accounts.login.fail": "ログイン失敗",
    "accounts.logout.succeed": "ログアウト",
    "accounts.session.expire": "無操作によるログアウト",
    "accounts.mfa.enrol": "二要素認証の登録",
    "accounts.mfa.verify": "二要素認証の確認",
    "accounts.mfa.fail": "二要素認証の失敗",
    "accounts.mfa.reset": "二要素認証の解除",
    "accounts.recovery_code.use": "リカバリーコードの使用",
    "accounts.lockout.lock": "アカウントのロック",
    "accounts.lockout.unlock": "アカウントのロック解除",
    "accounts.password.change": "パスワードの変更",
    "accounts.password.reset": "パスワードの再設定",
    "accounts.step_up.verify": "操作前の再認証",
    "accounts.token.create": "APIトークンの作成",
    "accounts.token.revoke": "APIトークンの無効化",
    "accounts.policy.update": "ログイン設定の変更",
    "accounts.read_scope.update": "閲覧範囲の変更",
}


class AccountsConfig(AppConfig):
    name = "schools.accounts"
    label = "accounts"
    urls = (("account/", "schools.accounts.urls"),)
    verbose_name = "ログインとアカウント"

    def ready(self) -> None:
        from schools import audit
        from schools.accounts import receivers

        audit.register_all(AUDIT_ACTIONS)
        receivers.connect()
