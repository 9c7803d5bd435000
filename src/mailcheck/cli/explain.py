"""``mailcheck explain CHECK_ID`` and ``mailcheck explain --list``: the check catalogue."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from mailcheck.cli import app
from mailcheck.errors import BadInput


class ExplainFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command(epilog="Example: mailcheck explain dmarc.policy")
def explain(
    check_id: Annotated[
        str | None,
        typer.Argument(metavar="CHECK_ID", help="A check id from a report, e.g. spf.lookups.", show_default=False),
    ] = None,
    list_all: Annotated[bool, typer.Option("--list", help="List every check mailcheck can report.")] = False,
    output_format: Annotated[
        ExplainFormat,
        typer.Option(
            "--format", help="text, json, or markdown (--list --format markdown is docs/checks.md).", case_sensitive=False
        ),
    ] = ExplainFormat.text,
) -> None:
    """What a check verifies, why it matters, a bad record and its fix, and references."""
    from mailcheck import catalogue
    from mailcheck.render import catalogue as render

    if list_all == (check_id is not None):
        raise BadInput("give one CHECK_ID or --list (mailcheck explain --list shows every id)")
    if list_all:
        specs = list(catalogue.catalogue().values())
        renderers = {ExplainFormat.text: render.list_text, ExplainFormat.json: render.list_json}
        typer.echo(renderers.get(output_format, render.list_markdown)(specs), nl=False)
        return
    assert check_id is not None
    wanted = check_id.strip().lower()
    spec = catalogue.find(wanted)
    if spec is None:
        close = catalogue.suggestions(wanted)
        hint = f"did you mean {' or '.join(close)}?" if close else "mailcheck explain --list shows every id"
        raise BadInput(f"no check is called {check_id!r}: {hint}")
    if output_format is ExplainFormat.json:
        typer.echo(render.explain_json(spec), nl=False)
    elif output_format is ExplainFormat.markdown:
        typer.echo(render.explain_markdown(spec), nl=False)
    else:
        typer.echo(render.explain_text(spec, asked=wanted), nl=False)
