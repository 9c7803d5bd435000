"""What the tests share, one module a job:

- paths: ROOT and ZONES (the fixture zones);
- cli: run_cli (the CLI in this process), offline (the options for the fixture zones);
- reports: validate_report, checks_by_id, one_check (reading a JSON report), mentions
  (the values a summary names, in order);
- aio: run_async;
- cli_subprocess: mailcheck in a child process, under the network guard;
- netguard (installed by conftest.py) and dask_guard (a Dask worker's preload): tests
  reach loopback only;
- dns_servers, smtp_servers, https_server: loopback servers scripted per scenario;
- message_fixtures, transport, terminal: building messages, running the transport
  areas, driving a pseudo-terminal.

The common ones are re-exported here: ``from tests.helpers import ZONES, offline, run_cli``.
This package imports none of the servers or guards, so ``python -m tests.helpers.netguard``
starts a child with nothing but the guard.
"""

from tests.helpers.aio import run_async
from tests.helpers.cli import CliResult, offline, run_cli
from tests.helpers.paths import ROOT, ZONES
from tests.helpers.reports import checks_by_id, mentions, one_check, validate_report

__all__ = [
    "ROOT",
    "ZONES",
    "CliResult",
    "checks_by_id",
    "mentions",
    "offline",
    "one_check",
    "run_async",
    "run_cli",
    "validate_report",
]
