"""Transport security helpers shared by the mta-sts, dane, smtp/tls and bimi checks:
HTTPS fetches pinned to the run's DNS answers, trust anchors, and certificate facts."""
