"""Log in on a municipality's own host in a real browser and see its name."""

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_boe_admin_logs_in_on_the_municipality_host(page, live_url):
    page.goto(live_url("tama") + "/")
    assert "/login/" in page.url
    assert page.locator("h1").inner_text().startswith("多摩市教育委員会")
    assert page.evaluate("document.documentElement.lang") == "ja"
    page.get_by_label("ログインID").fill("boe-admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")  # the keyboard alone is enough
    page.wait_for_url(live_url("tama") + "/")
    assert "多摩市教育委員会" in page.locator("header").inner_text()
    assert "試験 管理者" in page.locator(".userbox").inner_text()
    page.get_by_role("link", name="教職員アカウント").first.click()
    assert page.locator("h1").inner_text() == "教職員アカウント"


def test_wrong_password_is_told_in_japanese(page, live_url):
    page.goto(live_url("tama") + "/login/")
    page.get_by_label("ログインID").fill("boe-admin")
    page.get_by_label("パスワード").fill("wrong")
    page.get_by_role("button", name="ログイン").click()
    assert (
        "ログインIDまたはパスワードが正しくありません" in page.locator("[role=alert]").inner_text()
    )


def test_operator_sees_the_municipalities(page, live_url, django_user_model):
    from tenants.demo import OPERATOR

    if not django_user_model.objects.filter(username=OPERATOR[0]).exists():
        django_user_model.objects.create_superuser(OPERATOR[0], password=OPERATOR[1])
    page.goto(live_url() + "/login/")
    assert page.locator("h1").inner_text() == "Ai 運用管理サイト"
    page.get_by_label("ログインID").fill(OPERATOR[0])
    page.get_by_label("パスワード").fill(OPERATOR[1])
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(live_url() + "/")
    table = page.locator("table.list").first.inner_text()
    assert "富士吉田市" in table and "遠野市" in table and "多摩市" in table


@pytest.mark.parametrize("width", [1366, 1024])
def test_the_top_bar_keeps_every_label_whole(page, live_url, width):
    """At 1024 px the board's long menu once broke 「学校・名簿」 into 学校・/名簿 and
    「処理の状況」 letter by letter: items now wrap whole, nothing scrolls sideways, and the
    user's name is the way to the account page."""
    page.set_viewport_size({"width": width, "height": 768})
    page.goto(live_url("tama") + "/login/")
    page.get_by_label("ログインID").fill("boe-admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_url("tama") + "/")
    broken = page.evaluate(
        """() => [...document.querySelectorAll('.mainnav a, .userbox a, .userbox button')]
             .filter(a => { const r = document.createRange(); r.selectNodeContents(a);
                            const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                            return lines.size > 1; })
             .map(a => a.textContent.trim())"""
    )
    assert broken == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="アカウント: 試験 管理者").click()
    assert "/account" in page.url
