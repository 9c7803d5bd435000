"""DNS blocklists (RFC 5782): the catalogue of lists, target parsing, and lookups."""
