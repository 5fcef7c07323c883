"""Option types and output helpers shared by the CLI modules."""

from __future__ import annotations

import json
from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def echo_json(data) -> None:
    typer.echo(json.dumps(data, indent=2))
