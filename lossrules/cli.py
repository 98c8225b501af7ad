"""The ``lossrules`` command: arguments in, API calls, output and an exit status out.

Exit status: 0 success, 2 usage or input error (nothing could be read). Errors are one line on
stderr; ``--debug`` shows the traceback. Heavy modules load inside the commands, so that
``lossrules --help`` stays instant.
"""
from __future__ import annotations

import sys
from typing import Callable

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _parse_metrics(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        role, sep, tag = item.partition("=")
        if not sep or not role or not tag:
            raise click.BadParameter(f"'{item}': expected ROLE=TAG, e.g. train_loss=Loss/train", param_hint="--metric")
        out[role.strip()] = tag.strip()
    return out


def _fail(message: str) -> None:
    click.echo(f"lossrules: error: {message}", err=True)
    sys.exit(EXIT_INPUT)


def _guarded(ctx: click.Context, action: Callable[[], int]) -> None:
    """Run a command body; a LossrulesError becomes one line on stderr and exit status 2."""
    from .model import LossrulesError

    try:
        code = action()
    except LossrulesError as exc:
        if ctx.obj.get("debug"):
            raise
        _fail(str(exc))
    except KeyboardInterrupt:
        click.echo("lossrules: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line, not a traceback
        if ctx.obj.get("debug"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="lossrules")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Why won't my loss go down? Diagnose training runs from the logs they left behind.

    \b
    Exit status:
      0  success
      2  usage error, or no run could be read
    """
    ctx.ensure_object(dict)["debug"] = debug


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the long frame to FILE (.csv, .tsv, .parquet).")
@click.option("--metric", "metrics", multiple=True, metavar="ROLE=TAG", help="Bind a role to a tag, e.g. val_loss=Loss/val.")
@click.pass_context
def load(ctx: click.Context, path: str, output: str | None, metrics: tuple[str, ...]) -> None:
    """Read the runs under PATH; list them, or write their scalars with --output.

    The frame has one row per logged point: run, tag, step, value, wall_time (the layout
    tbparse users know). Runs that cannot be read are reported on stderr and left out.
    """
    bindings = _parse_metrics(metrics)

    def body() -> int:
        from .ingest import load as load_runs
        from .report.runs import runs_table

        runs = load_runs(path, metrics=bindings)
        for run in runs:
            if not run.ok:
                click.echo(f"lossrules: {run.name}: {run.error}", err=True)
        good = [r for r in runs if r.ok]
        if not good:
            _fail(f"{path}: none of the {len(runs)} run(s) found could be read")
        if output:
            from .ingest import stack_runs
            from .output import write_frame

            write_frame(stack_runs(good), output)
            click.echo(f"wrote {sum(len(r.scalars) for r in good):,} points of {len(good)} run(s) to {output}", err=True)
        else:
            click.echo(runs_table(runs))
        return EXIT_OK

    _guarded(ctx, body)


def _facts_table(values: dict) -> str:
    from .engine.evaluate import format_value
    from .report.runs import format_table

    rows = [("fact", "value")] + [(name, format_value(value)) for name, value in sorted(values.items())]
    return format_table(rows)


@main.command()
@click.argument("path", type=click.Path(exists=True), required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--metric", "metrics", multiple=True, metavar="ROLE=TAG", help="Bind a role to a tag, e.g. val_loss=Loss/val.")
@click.option("--docs", is_flag=True, help="Print the catalogue of facts (Markdown) instead.")
@click.pass_context
def features(ctx: click.Context, path: str | None, fmt: str, metrics: tuple[str, ...], docs: bool) -> None:
    """Print the facts detectors compute for each run under PATH.

    Facts are named <role>.<fact> (train_loss.tail_slope, val_loss.rise_from_min), gap.*,
    grad_norm.*, lr.*, run.* and hparams.*. A fact that cannot be computed honestly is absent.
    """
    bindings = _parse_metrics(metrics)

    def body() -> int:
        if docs:
            from .detect.catalogue import markdown

            click.echo(markdown(), nl=False)
            return EXIT_OK
        if path is None:
            raise click.UsageError("PATH is required (or use --docs)")
        import json

        from .detect import facts
        from .ingest import iter_runs

        out = []
        for run in iter_runs(path, metrics=bindings):
            if not run.ok:
                click.echo(f"lossrules: skipped run '{run.name}': {run.error}", err=True)
                continue
            values = facts(run)
            if fmt == "json":
                out.append({"run": run.name, "root": run.root, "source": run.source, "facts": values})
            else:
                click.echo(f"== {run.name} ({run.source})\n{_facts_table(values)}\n")
        if fmt == "json":
            click.echo(json.dumps({"lossrules_version": __version__, "runs": out}, indent=2, default=_json_default))
        return EXIT_OK

    _guarded(ctx, body)


def _json_default(value):
    """JSON for numpy scalars and non-finite floats (as null)."""
    import math

    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
