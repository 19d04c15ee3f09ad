"""Command-line interface: a thin wrapper over `lightcode.api`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lightcode.errors import LightCodeError, SpecError


def _fail(err: LightCodeError) -> None:
    click.echo(str(err), err=True)
    if isinstance(err, SpecError) and err.context:
        click.echo(err.context, err=True)
    sys.exit(2)


class _Group(click.Group):
    """Turns every LightCodeError into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LightCodeError as err:
            _fail(err)


@click.group(cls=_Group)
@click.version_option(package_name="lightcode")
def main() -> None:
    """LightCode: compile LLM inference onto photonic-electronic hardware and simulate it."""


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a param.")
def check(spec: Path, overrides: tuple[str, ...]) -> None:
    """Parse and validate SPEC, then print what it declares."""
    from lightcode.spec import load_spec, parse_overrides

    loaded = load_spec(spec, parse_overrides(overrides))
    click.echo(loaded.describe())
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)


if __name__ == "__main__":
    main()
