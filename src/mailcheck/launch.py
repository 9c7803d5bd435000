"""The console script's entry point: ``mailcheck --version`` before the CLI loads.

Loading the command line (typer, click, every command's options) is most of what
``mailcheck --version`` would cost; the version alone needs none of it. Everything
else, ``-V`` among other options included, goes to mailcheck.cli.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from mailcheck import __version__

        print(f"mailcheck {__version__}")
        sys.exit(0)
    from mailcheck.cli import main as cli_main

    cli_main()
