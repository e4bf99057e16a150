def test_login_page_names_the_municipality(client_for, muni):
    response = client_for(muni).get("/login/")
    assert response.status_code == 200
    assert "富士吉田市教育委員会" in response.content.decode()
