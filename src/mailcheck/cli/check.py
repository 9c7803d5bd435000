"""``mailcheck check``: run everything mailcheck.toml lists and hold it to its expectations."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mailcheck.cli import app
from mailcheck.cli.options import (
    GLOBAL,
    FailOnOption,
    Format,
    Nameservers,
    NoColor,
    Offline,
    OutputFile,
    OutputFormat,
    Quiet,
    Verbose,
    Zones,
    global_options,
)


@app.command()
def check(
    domains: Annotated[
        Optional[list[str]],
        typer.Argument(metavar="DOMAIN...", help="Only these domains of the config (default: all).", show_default=False),
    ] = None,
    config: Annotated[
        Optional[str],
        typer.Option("--config", "-c", metavar="FILE", help="The config (default: ./mailcheck.toml, else \\[tool.mailcheck] in ./pyproject.toml).", show_default=False),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", metavar="N", help="Check at most N domains at once.")
    ] = 20,
    nameserver: Nameservers = None,
    zone: Zones = None,
    offline: Offline = False,
    timeout: Annotated[
        Optional[float],
        typer.Option("--timeout", metavar="SECONDS", help="Limit for each network operation (default: the config's, else 5).", rich_help_panel=GLOBAL, show_default=False),
    ] = None,
    output_format: Format = OutputFormat.text,
    no_color: NoColor = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    output_file: OutputFile = None,
    fail_on: FailOnOption = None,
) -> int:
    """Check every domain and mailbox in mailcheck.toml against the team's expectations."""
    import os
    from pathlib import Path

    from mailcheck.cli.bulk import run_streaming
    from mailcheck.commands.check import CliOverrides, run_check, select
    from mailcheck.config import find_config, load_config
    from mailcheck.errors import BadInput
    from mailcheck.render.sarif import Artifact

    # --offline is validated against the config's zones below, not against --zone alone.
    network, output = global_options(
        nameserver, zone, False, 5.0 if timeout is None else timeout, output_format, no_color, quiet, verbose, output_file, fail_on
    )
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    settings = load_config(find_config(config))
    chosen = select(settings, domains or ())
    # --zone adds to the config's zones; resolved, so the same folder is not served twice.
    cli_zones = tuple(str(Path(z).resolve()) for z in network.zones)
    overrides = CliOverrides(network.nameservers, cli_zones, offline, timeout)
    shown = os.path.relpath(settings.path).replace(os.sep, "/")
    artifacts = {d.name: Artifact(shown, d.line) for d in chosen}
    artifacts.update({address: Artifact(shown, d.line) for d in chosen for address in d.probe})
    return run_streaming(
        lambda on_report: run_check(settings, chosen, overrides, concurrency=concurrency, on_report=on_report),
        len(chosen),
        output,
        summary=len(chosen) > 1,
        artifacts=artifacts,
    )
