"""compliance.*: declared in the provider rule table, mailcheck.message.compliance."""

from mailcheck.message.compliance import compliance_specs

SPECS = compliance_specs()
