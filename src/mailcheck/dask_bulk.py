"""A bulk list on a Dask cluster: beyond what one machine's cores check.

``pip install 'mailcheck-cli[dask]'``. The list is cut into batches; each batch is one
task, which runs ``mailcheck.api.check_domains`` (the CLI's bulk run: a resolver a
domain, ``concurrency`` domains in flight) in one process of a Dask worker (Dask's
own processes are the parallelism, so a task forks none of its own). At most
``in_flight`` batches are submitted at a time, so a list of millions is read as the
cluster gets through it, and the reports come back in the list's order::

    from distributed import Client
    from mailcheck.api import Network
    from mailcheck.dask_bulk import check_domains_on_dask

    with Client("tcp://scheduler:8786") as client:
        for report in check_domains_on_dask(client, open("domains.txt"), smtp=False):
            print(report.target, report.status.value)

Every worker resolves through ``network`` (default: its own resolv.conf), so the
nameservers must be reachable from the workers, and a worker's rate is bounded by
its resolver's as much as by its CPU.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from mailcheck.api import Network, check_domains
from mailcheck.model import Report

if TYPE_CHECKING:
    from distributed import Client

DEFAULT_BATCH = 200


def check_batch(domains: list[str], network: Network, concurrency: int, options: dict[str, Any]) -> list[Report]:
    """One task: a batch of domains checked in the worker's process, in order."""
    return check_domains(domains, network=network, concurrency=concurrency, workers=1, **options)


def check_domains_on_dask(
    client: Client,
    domains: Iterable[str],
    *,
    network: Network | None = None,
    batch: int = DEFAULT_BATCH,
    concurrency: int = 20,
    in_flight: int | None = None,
    **options: Any,
) -> Iterator[Report]:
    """The reports of ``domains`` (blank lines and ``#`` comments skipped, as with
    --from-file), in order, checked on ``client``'s cluster. ``options`` are
    ``mailcheck.api.check_domain``'s."""
    from mailcheck.errors import BadInput

    if batch < 1 or concurrency < 1:
        raise BadInput("batch and concurrency must be at least 1")
    settings = network or Network()
    window = in_flight or 2 * max(1, sum(client.nthreads().values()))
    names = (entry for line in domains if (entry := line.split("#", 1)[0].strip()))
    batches = iter(lambda: list(islice(names, batch)), [])
    pending: deque[Any] = deque()
    for chunk in batches:
        pending.append(client.submit(check_batch, chunk, settings, concurrency, options, pure=False))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()
