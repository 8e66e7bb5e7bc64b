"""The ping task reaches the database: CI sends the same task through a real worker over Redis."""
from portal.tasks import ping


def test_ping_echoes_the_value_and_counts_carriers(register_carrier):
    register_carrier(level=3)
    register_carrier(level=2, outgoing=True)

    result = ping.delay("你好").get(timeout=10)

    assert result["value"] == "你好"
    assert result["carriers"] == 2


def test_ping_on_an_empty_database_counts_zero(db):
    assert ping.delay(7).get(timeout=10)["carriers"] == 0
