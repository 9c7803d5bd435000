"""``mailcheck check``: run everything mailcheck.toml lists and hold it to its expectations."""

from __future__ import annotations

from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.cli.options import GlobalArguments, with_global_options


@app.command(epilog="Example: mailcheck check --config mailcheck.toml --format junit -o mailcheck.xml")
@with_global_options(timeout=None, timeout_help="Limit for each network operation (default: the config's, else 5).")
def check(
    domains: Annotated[
        list[str] | None,
        typer.Argument(metavar="DOMAIN...", help="Only these domains of the config (default: all).", show_default=False),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            "-c",
            metavar="FILE",
            help="The config (default: ./mailcheck.toml, else \\[tool.mailcheck] in ./pyproject.toml).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", metavar="N", help="Check at most N domains at once.")] = 20,
    *,
    options: GlobalArguments,
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
    network, output = options.settings(offline=False, timeout=5.0 if options.timeout is None else options.timeout)
    if concurrency < 1:
        raise BadInput(f"--concurrency must be at least 1, not {concurrency}")
    settings = load_config(find_config(config))
    chosen = select(settings, domains or ())
    # --zone adds to the config's zones; resolved, so the same folder is not served twice.
    cli_zones = tuple(str(Path(z).resolve()) for z in network.zones)
    overrides = CliOverrides(network.nameservers, cli_zones, options.offline, options.timeout)
    shown = os.path.relpath(settings.path).replace(os.sep, "/")
    artifacts = {d.name: Artifact(shown, d.line) for d in chosen}
    artifacts.update({address: Artifact(shown, d.line) for d in chosen for address in d.probe})
    return run_streaming(
        lambda on_report, _keep: run_check(settings, chosen, overrides, concurrency=concurrency, on_report=on_report),
        len(chosen),
        output,
        summary=len(chosen) > 1,
        artifacts=artifacts,
    )
