"""全国地方公共団体コード check digits and sub-domain rules (pure functions)."""

import pytest

from tenants.codes import check_digit, code_error, prefecture_of, schema_name_for, subdomain_error

# Published codes of real municipalities (総務省 全国地方公共団体コード).
KNOWN = {
    "192023": "山梨県",  # 富士吉田市
    "032085": "岩手県",  # 遠野市
    "132241": "東京都",  # 多摩市
    "011002": "北海道",  # 札幌市
    "141003": "神奈川県",  # 横浜市
    "471003": "沖縄県",  # 那覇市
    "131016": "東京都",  # 千代田区
}


@pytest.mark.parametrize("code,prefecture", KNOWN.items())
def test_published_codes_are_valid(code, prefecture):
    assert code_error(code) is None
    assert prefecture_of(code) == prefecture


@pytest.mark.parametrize("code", KNOWN)
def test_every_wrong_check_digit_is_refused(code):
    for digit in "0123456789":
        if digit != code[5]:
            assert "検査数字" in code_error(code[:5] + digit)


def test_check_digit_edge_cases_of_the_mod_11_rule():
    # weighted sum 11: remainder 0, 11 - 0 = 11, last digit 1
    assert check_digit("10011") == 1
    # weighted sum 12: remainder 1, 11 - 1 = 10, last digit 0
    assert check_digit("20000") == 0
    # weighted sum 10 (below 11): 11 - 10 = 1
    assert check_digit("02000") == 1


@pytest.mark.parametrize(
    "code", ["", "19202", "1920233", "19202a", "１９２０２３", "482001", "002003"]
)
def test_malformed_codes_are_refused_in_japanese(code):
    message = code_error(code)
    assert message is not None and ("桁" in message or "都道府県" in message)


@pytest.mark.parametrize("subdomain", ["fujiyoshida", "tono", "minami-alps", "abc", "a1b"])
def test_valid_subdomains(subdomain):
    assert subdomain_error(subdomain) is None


@pytest.mark.parametrize(
    "subdomain",
    [
        "",
        "ab",
        "Fujiyoshida",
        "1town",
        "town-",
        "-town",
        "to--no",
        "a_b",
        "www",
        "public",
        "x" * 32,
        "富士吉田",
        "tono.evil",
        "tono;drop",
    ],
)
def test_invalid_or_reserved_subdomains_are_refused(subdomain):
    assert subdomain_error(subdomain)


def test_schema_names_never_collide_with_postgres_or_template_names():
    assert schema_name_for("fujiyoshida") == "m_fujiyoshida"
    assert schema_name_for("minami-alps") == "m_minami_alps"
    assert not schema_name_for("public").startswith("public")
