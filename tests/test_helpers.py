"""The shared test helpers do what the tests that use them rely on."""

from __future__ import annotations

from tests.helpers import mentions


def test_mentions_wants_every_value_in_order():
    summary = "550 5.1.1 mailbox unknown — 'User unknown' (mx1.example 127.0.0.1)"
    assert mentions(summary, "550 5.1.1", "'User unknown'", "127.0.0.1")
    assert mentions(summary, 550, "127.0.0.1")  # values are compared as the user reads them
    assert not mentions(summary, "127.0.0.1", "550 5.1.1")  # out of order
    assert not mentions(summary, "550 5.1.1", "452")  # one missing
    # A value is used up once found: a repeated value must appear twice.
    assert not mentions("mx1.example", "mx1.example", "mx1.example")
