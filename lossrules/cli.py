"""The ``lossrules`` command: arguments in, API calls, output and an exit status out.

Exit status: 0 success, 2 usage or input error (nothing could be read). Errors are one line on
stderr; ``--debug`` shows the traceback. Heavy modules load inside the commands, so that
``lossrules --help`` stays instant.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


class LogPath(click.ParamType):
    """A local path that must exist, or a ``protocol://`` URL read through fsspec."""

    name = "path"

    def convert(self, value, param, ctx):
        import os

        text = os.fspath(value)
        head, sep, _ = text.partition("://")
        if not (sep and head.isidentifier()) and not os.path.exists(text):
            self.fail(f"Path '{text}' does not exist.", param, ctx)
        return text


LOG_PATH = LogPath()


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
    except Exception as exc:
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
    Exit status (diagnose, audit):
      0  no finding at or above --fail-on (default: error)
      1  findings at or above --fail-on
      2  usage or input error, or no run could be read
    """
    ctx.ensure_object(dict)["debug"] = debug


@main.command()
@click.argument("path", type=LOG_PATH)
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
@click.argument("path", type=LOG_PATH, required=False)
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
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


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise click.BadParameter(f"'{item}': expected RULE_ID.PARAM=VALUE", param_hint="--set")
        out[key.strip()] = value.strip()
    return out


def report_options(func):
    """Options shared by diagnose and audit."""
    decorators = [
        click.option("-f", "--format", "fmt", type=click.Choice(["text", "json", "csv", "markdown", "html"]), default="text", show_default=True),
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE (atomically) instead of stdout."),
        click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (default: lossrules.toml or [tool.lossrules] in pyproject.toml)."),
        click.option("--select", multiple=True, metavar="RULE", help="Only these rules (id, id prefix, or cause)."),
        click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules (id, id prefix, or cause)."),
        click.option("--set", "sets", multiple=True, metavar="RULE.PARAM=VALUE", help="Override a rule parameter."),
        click.option("--metric", "metrics", multiple=True, metavar="ROLE=TAG", help="Bind a role to a tag."),
        click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), help="Extra rule folder (repeatable)."),
        click.option("--min-severity", type=click.Choice(["info", "warning", "error"]), help="Hide findings below this severity."),
        click.option("--fail-on", type=click.Choice(["warning", "error"]), help="Exit 1 when a finding reaches this severity (default: error)."),
        click.option("-q", "--quiet", is_flag=True, help="No output on stdout; only the exit status (and errors)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _options(config_file, select, ignore, sets, metrics, rule_dirs, min_severity, fail_on, jobs=None):
    from .config import options, read_config

    return options(
        read_config(config_file),
        rules=rule_dirs,
        select=select,
        ignore=ignore,
        params=_parse_sets(sets),
        metrics=_parse_metrics(metrics),
        min_severity=min_severity,
        fail_on=fail_on,
        jobs=jobs,
    )


def sort_runs(diagnoses: list, key: str) -> list:
    """Diagnoses in the order asked for; reports keep the order they are given."""
    from .report import worst_first

    if key == "worst":
        return worst_first(diagnoses)
    getters = {
        "run": lambda d: (d.root, d.run),
        "verdict": lambda d: (d.verdict, d.root, d.run),
        "steps": lambda d: (-(d.steps or 0), d.root, d.run),
        "source": lambda d: (d.source, d.root, d.run),
    }
    return sorted(diagnoses, key=getters[key])


def _emit(diagnoses, opts, fmt: str, output: str | None, quiet: bool, *, audit: bool, why: bool = False) -> int:
    """Write the report and compute the exit status."""
    from .model import SEVERITY_RANK
    from .report import render

    text = render(diagnoses, fmt, audit=audit, why=why, min_severity=opts.min_severity)
    if output:
        from .output import atomic_open

        with atomic_open(output) as fh:
            fh.write(click.unstyle(text))
    elif not quiet:
        click.echo(text, nl=False)
    if diagnoses and all(d.error for d in diagnoses):
        return EXIT_INPUT
    floor = SEVERITY_RANK[opts.fail_on]
    failing = any(SEVERITY_RANK[f.severity] >= floor and f.cause != "inconclusive" for d in diagnoses for f in d.findings)
    return EXIT_FINDINGS if failing else EXIT_OK


@main.command()
@click.argument("paths", nargs=-1, required=True, type=LOG_PATH)
@click.option("--why", is_flag=True, help="Show the rule chain behind each finding: symptoms, comparisons, values.")
@click.option(
    "--why-not", "why_not", multiple=True, metavar="RULE",
    help="Explain these rules (id, id prefix, cause or symptom) whether they fired or not: every comparison with its values (text report).",
)
@report_options
@click.pass_context
def diagnose(ctx, paths, why, why_not, fmt, output, config_file, select, ignore, sets, metrics, rule_dirs, min_severity, fail_on, quiet):
    """Post-mortem of the runs under PATHS: verdict, ranked findings, evidence and remedies."""

    def body() -> int:
        from .ingest import iter_runs
        from .pipeline import diagnose_run

        opts = _options(config_file, select, ignore, sets, metrics, rule_dirs, min_severity, fail_on)
        ruleset, settings = opts.ruleset(), opts.settings()
        curves = fmt == "html"
        diagnoses = [
            diagnose_run(run, ruleset, settings, curves=curves) for path in paths for run in iter_runs(path, metrics=dict(opts.metrics))
        ]
        if why_not:
            from .engine.evaluate import explain

            diagnoses = [explain(d, ruleset, list(why_not)) if not d.error else d for d in diagnoses]
        return _emit(diagnoses, opts, fmt, output, quiet, audit=False, why=why)

    _guarded(ctx, body)


@main.command()
@click.argument("roots", nargs=-1, required=True, type=LOG_PATH)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--dask", metavar="ADDRESS", help="Run on a Dask cluster (tcp://host:8786), or 'local' for a LocalCluster.")
@click.option("--sort", "sort_by", type=click.Choice(["worst", "run", "verdict", "steps", "source"]), default="worst", show_default=True, help="Row order of the table.")
@report_options
@click.pass_context
def audit(ctx, roots, jobs, dask, sort_by, fmt, output, config_file, select, ignore, sets, metrics, rule_dirs, min_severity, fail_on, quiet):
    """Batch audit of every run under ROOTS: one row per run, worst first, and a verdict summary."""

    def body() -> int:
        from .audit import audit as run_audit
        from .audit import work_items

        opts = _options(config_file, select, ignore, sets, metrics, rule_dirs, min_severity, fail_on, jobs)
        opts.ruleset()  # a broken rule file is reported before any work starts
        items, failed = work_items(roots)
        results = list(failed)
        show = sys.stderr.isatty() and not quiet
        try:
            with click.progressbar(length=len(items), label="auditing", file=sys.stderr, hidden=not show) as bar:
                for diagnosis in run_audit(items, opts, dask=dask, curves=fmt == "html"):
                    results.append(diagnosis)
                    bar.update(1)
        except KeyboardInterrupt:
            click.echo(f"lossrules: interrupted after {len(results)} of {len(items)} run(s); reporting those", err=True)
            _emit(sort_runs(results, sort_by), opts, fmt, output, quiet, audit=True)
            sys.exit(130)
        return _emit(sort_runs(results, sort_by), opts, fmt, output, quiet, audit=True)

    _guarded(ctx, body)


@main.group()
def rules() -> None:
    """List, show, check and document the rules."""


def _ruleset_for(rule_dirs: tuple[str, ...]):
    from .engine.load import load_ruleset

    return load_ruleset(extra=rule_dirs)


@rules.command("list")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), help="Extra rule folder.")
@click.pass_context
def rules_list(ctx, rule_dirs) -> None:
    """One line per rule: id, cause or symptom, severity, title."""

    def body() -> int:
        from .report.runs import format_table

        ruleset = _ruleset_for(rule_dirs)
        table = [("id", "cause", "severity", "title")]
        table += [(r.id, r.cause or f"symptom:{r.symptom}", r.severity if r.cause else "-", r.title) for r in ruleset.causes + ruleset.symptoms]
        click.echo(format_table(table))
        return EXIT_OK

    _guarded(ctx, body)


@rules.command("show")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), help="Extra rule folder.")
@click.pass_context
def rules_show(ctx, rule_id, rule_dirs) -> None:
    """The documentation of one rule."""

    def body() -> int:
        from .engine.docs import rule_markdown

        click.echo(rule_markdown(_ruleset_for(rule_dirs).get(rule_id), heading="#"), nl=False)
        return EXIT_OK

    _guarded(ctx, body)


@rules.command("check")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--alone", is_flag=True, help="Check the folders without the shipped rules (no shared symptoms).")
@click.pass_context
def rules_check(ctx, folders, alone) -> None:
    """Validate rule folders: structure, expressions, fact names, parameters, cycles."""

    def body() -> int:
        from .engine.load import load_ruleset

        ruleset = load_ruleset(folders, include_builtin=False) if alone else load_ruleset(extra=folders)
        click.echo(f"ok: {len(ruleset.rules)} rule(s) valid ({len(ruleset.causes)} cause, {len(ruleset.symptoms)} symptom)")
        return EXIT_OK

    _guarded(ctx, body)


@rules.command("docs")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@click.pass_context
def rules_docs(ctx, output) -> None:
    """The rules reference in Markdown, generated from the rule files."""

    def body() -> int:
        from .engine.docs import reference
        from .engine.load import load_ruleset

        text = reference(load_ruleset())
        if output:
            from .output import atomic_open

            with atomic_open(output) as fh:
                fh.write(text)
        else:
            click.echo(text, nl=False)
        return EXIT_OK

    _guarded(ctx, body)
