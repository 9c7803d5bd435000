"""The DNS core: one resolver per run, the loopback zone server, and library adapters."""

from mailcheck.dns.errors import DnsError, DnsUnavailable, NoRecords, NoSuchDomain

__all__ = ["DnsError", "DnsUnavailable", "NoRecords", "NoSuchDomain"]
