"""Preload of the Dask workers the tests start: the network guard, reporting to the
watching test (a Dask worker is a child process that tests.helpers.netguard does not start)."""

from tests.helpers import netguard

netguard.install_in_child()
