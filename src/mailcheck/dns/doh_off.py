"""dnspython told that DNS over HTTPS is off: imported before its resolver loads.

mailcheck speaks DNS over UDP and TCP only. With DNS over HTTPS available, dnspython's
query module imports httpx2 and h2 the moment the resolver loads (tens of milliseconds
of every run); telling it DoH is off keeps them out. This is its own module, imported
first by the modules of ours that load dnspython's resolver, and not part of the
``mailcheck.dns`` package's import: dns._features reads package metadata
(importlib.metadata, with email and zipfile), a good part of the start-up of a run
that asks no DNS at all (``mailcheck report --no-dns``).
"""

import dns._features

dns._features.force("doh", False)
