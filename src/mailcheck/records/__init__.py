"""Pure parsers of the DNS records mail authentication publishes (no DNS here)."""
