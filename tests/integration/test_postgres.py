"""The PostgreSQL server the test session starts (tests/conftest.py) is a real one, on loopback
only, and gives each test an empty database of its own."""
from __future__ import annotations

import psycopg


def test_a_real_server_on_loopback_with_an_empty_database_per_test(postgres_url):
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=10) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        listen = conn.execute("SHOW listen_addresses").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").fetchone()
        conn.execute("CREATE TABLE kept (x int)")
    assert int(version.split(".")[0]) >= 14
    assert listen == "127.0.0.1"
    assert tables == (0,)
