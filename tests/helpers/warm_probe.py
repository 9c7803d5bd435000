"""``python -m tests.helpers.netguard tests.helpers.warm_probe MODULE ARGS...``: run
``mailcheck ARGS`` in this fresh process with MODULE's warm-up list emptied, then print
on stderr's last line (JSON) the steps of that list the run did not load itself."""

from __future__ import annotations

import contextlib
import importlib
import json
import sys


def _loaded(step: object) -> bool:
    from mailcheck.suffixes import public_suffixes

    if isinstance(step, str):
        return step in sys.modules
    if step is public_suffixes:
        return public_suffixes.cache_info().currsize > 0
    return "checkdmarc.dmarc" in sys.modules  # the one other step: records.dmarc.checkdmarc_dmarc


def main(module_name: str, args: list[str]) -> None:
    from mailcheck.cli import main as mailcheck  # not mailcheck.launch: its exit would skip the print below

    module = importlib.import_module(module_name)
    steps, module.WARM_UP = module.WARM_UP, ()
    sys.argv = ["mailcheck", *args]
    with contextlib.suppress(SystemExit):
        mailcheck()
    missing = [getattr(step, "__name__", step) for step in steps if not _loaded(step)]
    print(json.dumps(missing), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
