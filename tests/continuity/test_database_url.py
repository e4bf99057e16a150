"""DATABASE_URL may name a primary and its standby (libpq's multi-host form)."""

from __future__ import annotations

from config.settings import parse_database_url


def test_two_hosts_become_libpq_host_and_port_lists():
    config = parse_database_url(
        "postgres://ai:secret@db1:55431,db2:55432/ai?target_session_attrs=read-write"
    )
    assert (config["HOST"], config["PORT"]) == ("db1,db2", "55431,55432")
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("ai", "ai", "secret")
    assert config["OPTIONS"]["target_session_attrs"] == "read-write"


def test_a_missing_port_is_5432_and_ipv6_keeps_its_brackets_out():
    config = parse_database_url("postgres://ai:ai@[::1]:6000,db2/ai")
    assert (config["HOST"], config["PORT"]) == ("::1,db2", "6000,5432")


def test_one_host_is_parsed_as_before():
    config = parse_database_url("postgres://ai:ai@127.0.0.1:54329/ai", conn_max_age=60)
    assert (config["HOST"], config["PORT"], config["CONN_MAX_AGE"]) == ("127.0.0.1", 54329, 60)
