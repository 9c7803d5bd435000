"""Preload of the Dask workers the tests start: the network guard, reporting to the
watching test (a Dask worker is a child process that tests.netguard does not start)."""

from tests import netguard

netguard.install_in_child()
