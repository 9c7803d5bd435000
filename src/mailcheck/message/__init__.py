"""``mailcheck message``: one real message verified as a receiver would verify it."""
