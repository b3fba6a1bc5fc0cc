"""The ``specguard`` command tree on click: every command, its options, help, examples and exit
statuses.  ``scanner/cli.py`` runs it (``main``) and holds what the commands do (``cmd_*``);
``scanner/cli_parse.py`` has the click specifics (ordered ``--format``/``-o`` pairs, one-line usage
errors).  Loaded by ``main`` for every command but ``--version``.
"""
from __future__ import annotations

import importlib
import importlib.util

import click

from . import __version__
from .cli import (_optional, _run, cmd_audit, cmd_controls, cmd_export_checkov, cmd_report,
                  cmd_scan)
from .cli_parse import HELP, Group, namespace, value

EXIT_STATUSES = """\b
Exit status:
  0  nothing at or above the --fail-on severity failed (or was unknown)
  1  something did: the CI gate
  2  the input or the options were wrong (one line on stderr, nothing written)
  3  the scan could not run at all (for example no credentials for a live audit)"""


def _epilog(examples: str, statuses: bool = True) -> str:
    text = "\b\nExamples:\n" + "\n".join("  " + line for line in examples.strip().splitlines())
    return text + ("\n\n" + EXIT_STATUSES if statuses else "")


# ----------------------------------------------------------------------------- options
FORMATS = "json, html, sarif, junit, markdown, pdf, gitlab-sast, table"


def output_options(formats: str = FORMATS, default: str = "table on the terminal"):
    """--format/-f F and -o/--output FILE: repeatable pairs, in order (cli_parse.outputs)."""
    def deco(f):
        f = click.option("-o", "--output", "output", multiple=True, metavar="FILE",
                         help="file for the preceding --format (repeatable; - is standard output; "
                              "the format follows from the file's ending when no --format precedes it)")(f)
        f = click.option("--format", "-f", "format_", multiple=True, metavar="F",
                         help=f"output format: {formats} (repeatable, each with its own -o; default: {default})")(f)
        return f
    return deco


# the history store's commands and options (issue 15), when the package has it: found, not imported
# (scanner.store.cli is imported when a store command or option runs)
STORE = importlib.util.find_spec("scanner.store.cli") is not None
STORE_STATUSES = ("\n\n\b\nExit status: 0 done; 2 the options or the runs named were wrong; "
                  "3 the store could not be used.")
STORE_HELP = "the history store: a path, sqlite:///path or postgresql://user@host:port/db (default: $SPECGUARD_STORE)"


def run_store_options() -> list:
    """--store/--scope on scan and audit: keep the run in the history store."""
    if not STORE:
        return []
    return [click.option("--store", metavar="URL", help="keep this run in " + STORE_HELP),
            click.option("--scope", metavar="NAME", help="the scope this run belongs to in the store (default: the "
                                                          "accounts and regions, subscriptions or input paths)")]


rules_option = click.option("--rules", multiple=True, metavar="PATH",
                            help="your own controls: a YAML rules file, a Python rule module, or a folder of "
                                 "them (repeatable)")


def gate_options(f):
    """The options every scanning command takes (INTERFACE.md)."""
    for opt in reversed([
        click.option("--profile", metavar="FILE",
                     help="profile (YAML) overriding the spec's defaults: parameters, severities, enabled controls"),
        click.option("--waivers", metavar="FILE",
                     help="waivers (YAML): control, resource, reason, approver, expiry date"),
        rules_option,
        output_options(),
        click.option("--fail-on", default="low", show_default=True, metavar="SEVERITY",
                     help="lowest severity whose fail (or unknown, unless --allow-unknown) gives exit 1: "
                          "info, low, medium, medium-high, high, critical, or none"),
        click.option("--allow-unknown", is_flag=True, help="unknown findings do not fail the gate"),
        click.option("--quiet", "-q", is_flag=True,
                     help="no progress display and no summary line on stderr (errors are still printed)"),
        click.option("--show-pass", is_flag=True, help="table: list passing findings too"),
        click.option("--baseline", metavar="FILE",
                     help="a baseline (specguard baseline create) or JSON results: their findings are reported, "
                          "marked, and do not count for --fail-on; new ones do"),
        *run_store_options(),
    ]):
        f = opt(f)
    return f


# ----------------------------------------------------------------------------- the commands
PARSE_ONLY = "parse-only"   # cli.parse_args: the namespace, nothing run


def _lazy(group, name: str):
    """Declare subcommand ``name`` of ``group`` by calling the decorated function when the command is
    first asked for (``cli_parse.Group.lazy``, click's lazy-loading pattern): a scan does not build the
    other commands and their options (~4 ms of start-up)."""
    def deco(declare):
        group.lazy[name] = declare
        return declare
    return deco


def _go(ctx, fn, args):
    return args if ctx.obj == PARSE_ONLY else _run(fn, args)


@click.group(cls=Group, context_settings=HELP, invoke_without_command=True, no_args_is_help=False,
             epilog=_epilog("""
specguard scan plan.json
specguard scan infra/ --format html -o report.html --format json -o results.json
specguard audit aws --regions eu-west-1 --format sarif -o aws.sarif
specguard report results.json --format markdown -o summary.md
specguard controls"""))
@click.version_option(__version__, "--version", prog_name="specguard", message="%(prog)s %(version)s",
                      help="print specguard's version and exit")
@click.pass_context
def cli(ctx):
    """Check Terraform and live clouds against the architecture specification's controls.

    Run `specguard COMMAND --help` for a command's options."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help(), err=True)
        ctx.exit(2)


@cli.command(epilog=_epilog("""
specguard scan plan.json                                  # table on the terminal
specguard scan plan.json --source-dir infra/              # findings with file and line
specguard scan infra/ --var-file prod.tfvars --var env=prod
terraform show -json tf.plan | specguard scan -
specguard scan plan.json --fail-on high --format sarif -o specguard.sarif"""))
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--source-dir", metavar="DIR",
              help="the .tf sources of a scanned plan: findings get their file and line, in-source waivers count")
@click.option("--var-file", multiple=True, metavar="FILE", help=".tf scans: a tfvars file (repeatable)")
@click.option("--var", multiple=True, metavar="NAME=VALUE", help=".tf scans: a variable (repeatable)")
@click.option("--no-source-waivers", is_flag=True,
              help="ignore `# specguard:waive` comments in .tf files (only --waivers counts)")
@click.option("--checkov-results", metavar="FILE", help="Checkov -o json output to include as supplementary checks")
@click.option("--checkov-mapping", metavar="FILE", help="YAML: Checkov check id -> SOC 2 criteria")
@gate_options
@click.pass_context
def scan(ctx, **params):
    """Scan Terraform: plan JSON files (terraform show -json), .tf directories, or - for a plan on
    standard input.

    PATH is a plan JSON file, a directory of .tf files, or - (standard input); several may be
    given, each is auto-detected."""
    return _go(ctx, cmd_scan, namespace(ctx, "scan", params))


@cli.group(cls=Group, invoke_without_command=True, no_args_is_help=False,
           epilog=_epilog("""
specguard audit aws --regions eu-west-1,us-east-1
specguard audit aws --org-role OrganizationAccountAccessRole --format html -o audit.html
specguard audit azure --subscription 00000000-0000-0000-0000-000000000000"""))
@click.pass_context
def audit(ctx):
    """Audit live cloud inventory (read-only API calls): aws or azure."""
    if ctx.invoked_subcommand is None:
        raise click.UsageError("a cloud is needed: specguard audit aws or specguard audit azure", ctx)


def executor_option(f):
    """--executor: where the audit's units (accounts, subscriptions) run (scanner/executor)."""
    from .executor import check
    return click.option("--executor", type=value(check, "EXECUTOR"), default="local", show_default=True,
                        help="where the units (one AWS account or Azure subscription each) are audited: local "
                             "(this process), dask://HOST:PORT (a Dask scheduler; needs specguard[dask] here and "
                             "the same specguard on its workers) or dask-local:N (N local worker processes)")(f)


def _audit_command(cloud: str, title: str, examples: str):
    # declared when asked for: its options, the cloud's cli module and the executor's cost every
    # other command ~5 ms of start-up
    audit.lazy[cloud] = lambda: _declare_audit_command(cloud, title, examples)


def _declare_audit_command(cloud: str, title: str, examples: str):
    mod = _optional(f"scanner.sources.{cloud}.cli")

    def run(ctx, **params):
        return _go(ctx, cmd_audit, namespace(ctx, "audit", params, cloud=cloud))

    run.__doc__ = title
    cmd = click.pass_context(run)
    cmd = gate_options(cmd)
    cmd = executor_option(cmd)
    for p in reversed(mod.params() if mod is not None else []):
        cmd = p(cmd)
    audit.command(cloud, epilog=_epilog(examples))(cmd)


_audit_command("aws", """Audit live AWS: every account and region the credentials reach (or --regions,
    --role-arn, --org-role), with the standard credential chain (environment, --aws-profile, SSO, a role).""", """
specguard audit aws --regions eu-west-1
specguard audit aws --aws-profile prod --role-arn arn:aws:iam::123456789012:role/Audit
specguard audit aws --org-role OrganizationAccountAccessRole --exclude-accounts 111122223333
specguard audit aws --print-iam-policy > specguard-policy.json""")
_audit_command("azure", """Audit live Azure: every subscription the identity can see (or --subscription), with
    DefaultAzureCredential (az login, AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, a managed identity).""", """
specguard audit azure
specguard audit azure --subscription 00000000-0000-0000-0000-000000000000 --format html -o azure.html
specguard audit azure --strategy graph --tenant contoso.onmicrosoft.com
specguard audit azure --print-role > specguard-role.json""")


@_lazy(cli, "report")
def _declare_report():
    @cli.command(epilog=_epilog("""
specguard report results.json --format html -o report.html
specguard report results.json --format sarif -o specguard.sarif --format junit -o junit.xml""", statuses=False)
                 + "\n\n\b\nExit status: 0 written; 2 the results or the options were wrong; 3 it could not run.")
    @click.argument("results", metavar="RESULTS.json")
    @output_options()
    @click.option("--show-pass", is_flag=True, help="table: list passing findings too")
    @click.pass_context
    def report(ctx, **params):
        """Render saved JSON results again (HTML, SARIF, JUnit, Markdown, PDF, table).

        RESULTS.json is the JSON results document of an earlier scan or audit (--format json)."""
        return _go(ctx, cmd_report, namespace(ctx, "report", params))
    if STORE:   # the audit-period report (issue 15)
        for opt in (click.Option(["--store"], metavar="URL", help="with --period: " + STORE_HELP),
                    click.Option(["--period"], metavar="START..END",
                                 help="audit-period report over the store's runs, e.g. 2026-01-01..2026-06-30"),
                    click.Option(["--scope"], metavar="NAME", help="with --period: the scope (needed when the store "
                                                                    "holds several)"),
                    click.Option(["--expect"], metavar="SCHEDULE",
                                 help="with --period: daily (default), weekly or hours:N")):
            report.params.append(opt)
        # RESULTS.json may be left out for --period
        results = next(p for p in report.params if p.name == "results")
        results.required, results.metavar = False, "[RESULTS.json]"


@_lazy(cli, "controls")
def _declare_controls():
    @cli.command(epilog=_epilog("""
specguard controls
specguard controls --profile profile.yaml --format json -o controls.json""", statuses=False)
                 + "\n\n\b\nExit status: 0 listed; 2 the profile or the options were wrong.")
    @click.option("--profile", metavar="FILE", help="profile (YAML) whose controls to list (default: the spec's)")
    @rules_option
    @output_options("table, json", "table")
    @click.pass_context
    def controls(ctx, **params):
        """List the controls of the active profile: id, severity, SOC 2 criteria, title."""
        return _go(ctx, cmd_controls, namespace(ctx, "controls", params))


@_lazy(cli, "export-checkov")
def _declare_export_checkov():
    @cli.command("export-checkov", epilog=_epilog("""
specguard export-checkov checks/
checkov -d infra/ --external-checks-dir checks/""", statuses=False)
                 + "\n\n\b\nExit status: 0 written; 2 the profile or the directory was wrong.")
    @click.argument("directory", metavar="DIR")
    @click.option("--profile", metavar="FILE", help="profile (YAML) whose controls and parameters to export")
    @click.pass_context
    def export_checkov(ctx, **params):
        """Write specguard's controls as Checkov custom checks into DIR (created if missing)."""
        return _go(ctx, cmd_export_checkov, namespace(ctx, "export-checkov", params))



# ----------------------------------------------------------------------------- users' own controls
@_lazy(cli, "rules")
def _declare_rules():
    @cli.group(cls=Group, invoke_without_command=True, no_args_is_help=False,
               epilog=_epilog("specguard rules test examples/rules", statuses=False)
               + "\n\n\b\nExit status: 0 every expectation holds; 1 one does not; 2 the rules or examples are wrong.")
    @click.pass_context
    def rules(ctx):
        """Users' own controls: check them against their examples."""
        if ctx.invoked_subcommand is None:
            raise click.UsageError("a command is needed: specguard rules test DIR", ctx)

    @rules.command("test", epilog=_epilog("specguard rules test examples/rules", statuses=False)
                   + "\n\n\b\nExit status: 0 every expectation holds; 1 one does not; 2 the rules or examples "
                     "are wrong.")
    @click.argument("directory", metavar="DIR")
    @click.option("--profile", metavar="FILE",
                  help="profile (YAML) the examples are checked with (default: the spec's)")
    @click.pass_context
    def rules_test(ctx, **params):
        """Run the controls in DIR against the examples beside them (each example folder: its inputs and
        expected.yaml, address -> {control: status}); one line per example, one per expectation that fails."""
        return _go(ctx, _rules_test, namespace(ctx, "rules", params))


def _rules_test(args) -> int:
    from .rules_cli import test_directory
    return test_directory(args.directory, args.profile)


# ----------------------------------------------------------------------------- baselines (issue 20)
def _baseline_create(args) -> int:
    from .baseline import create_command   # imported when it runs: ~1 ms that every other command would pay
    return create_command(args)


if importlib.util.find_spec("scanner.baseline") is not None:
    @_lazy(cli, "baseline")
    def _declare_baseline():
        @cli.group(cls=Group, invoke_without_command=True, no_args_is_help=False, epilog=_epilog(
            "specguard baseline create plan.json -o baseline.json", statuses=False)
            + "\n\n\b\nExit status: 0 written; 2 the input or the options were wrong.")
        @click.pass_context
        def baseline(ctx):
            """Baselines: today's findings, accepted, so that only what a change introduces fails the gate."""
            if ctx.invoked_subcommand is None:
                raise click.UsageError("a command is needed: specguard baseline create PATH... -o baseline.json", ctx)

        @baseline.command("create", epilog=_epilog("""
specguard baseline create plan.json -o baseline.json
specguard baseline create results.json -o baseline.json            # from saved results
specguard scan plan.json --baseline baseline.json""", statuses=False)
                          + "\n\n\b\nExit status: 0 written (making a baseline is not a gate); 2 the input or the "
                            "options were wrong.")
        @click.argument("paths", nargs=-1, required=True, metavar="PATH...")
        @click.option("-o", "--output", metavar="FILE", help="file to write (default: standard output)")
        @click.option("--profile", metavar="FILE",
                      help="profile (YAML) the findings are made with (default: the spec's)")
        @rules_option
        @click.option("--source-dir", metavar="DIR", help="the .tf sources of a scanned plan")
        @click.option("--var-file", multiple=True, metavar="FILE", help=".tf scans: a tfvars file (repeatable)")
        @click.option("--var", multiple=True, metavar="NAME=VALUE", help=".tf scans: a variable (repeatable)")
        @click.pass_context
        def baseline_create(ctx, **params):
            """Scan PATH... (plans, .tf directories, or one saved JSON results document) and write the
            baseline: every failing and unknown finding, accepted."""
            return _go(ctx, _baseline_create, namespace(ctx, "baseline", params))


# ----------------------------------------------------------------------------- the history store (issue 15)
def _store_run(name: str):
    def run(args) -> int:
        return getattr(importlib.import_module("scanner.store.cli"), name)(args)
    return run


if STORE:
    @_lazy(cli, "store")
    def _declare_store():
        @cli.group(cls=Group, invoke_without_command=True, no_args_is_help=False, epilog=_epilog("""
specguard store import results/*.json --store sqlite:///specguard.db
specguard store verify --store sqlite:///specguard.db
specguard store get RUN --store sqlite:///specguard.db -o results.json""", statuses=False)
                     + "\n\n\b\nExit status: 0 done; 1 verify found the store altered; 2 the options were wrong; "
                       "3 the store could not be used.")
        @click.pass_context
        def store(ctx):
            """The history store: import saved results, verify its hash chains, give a run back."""
            if ctx.invoked_subcommand is None:
                raise click.UsageError("a command is needed: specguard store import|verify|get", ctx)

        def _store_opts(f):
            f = click.option("--scope", metavar="NAME", help="the scope (default: each run's own, or every scope)")(f)
            return click.option("--store", metavar="URL", help=STORE_HELP)(f)

        @store.command("import", epilog=_epilog("specguard store import night-*.json --store sqlite:///specguard.db",
                                                statuses=False) + STORE_STATUSES)
        @click.argument("results", nargs=-1, required=True, metavar="RESULTS.json...")
        @_store_opts
        @click.pass_context
        def store_import(ctx, **params):
            """Ingest saved JSON results (RESULTS.json..., ordered by their start) into the store."""
            return _go(ctx, _store_run("cmd_store"), namespace(ctx, "store", params, store_command="import"))

        @store.command("verify", epilog=_epilog("specguard store verify --store sqlite:///specguard.db", statuses=False)
                        + "\n\n\b\nExit status: 0 every chain holds; 1 the store was altered; 2 the options were "
                          "wrong; 3 the store could not be used.")
        @_store_opts
        @click.pass_context
        def store_verify(ctx, **params):
            """Recompute every stored document's hash and check each scope's chain (exit 1 if altered)."""
            return _go(ctx, _store_run("cmd_store"), namespace(ctx, "store", params, store_command="verify"))

        @store.command("get", epilog=_epilog("specguard store get 42 --store sqlite:///specguard.db -o results.json",
                                             statuses=False) + STORE_STATUSES)
        @click.argument("run", metavar="RUN")
        @click.option("--store", metavar="URL", help=STORE_HELP)
        @click.option("-o", "--output", "output_file", metavar="FILE", help="file to write (default: standard output)")
        @click.pass_context
        def store_get(ctx, output_file, **params):
            """Give a stored run's JSON results (RUN: its id) back byte for byte."""
            return _go(ctx, _store_run("cmd_store"),
                       namespace(ctx, "store", params, store_command="get", output=output_file))

    @_lazy(cli, "history")
    def _declare_history():
        @cli.command(epilog=_epilog("""
specguard history --store sqlite:///specguard.db --scope prod
specguard history --last 30 --format json -o history.json""", statuses=False) + STORE_STATUSES)
        @click.option("--store", metavar="URL", help=STORE_HELP)
        @click.option("--scope", metavar="NAME", help="the scope (needed when the store holds several)")
        @click.option("--last", type=click.IntRange(min=1), metavar="N", help="only the last N runs")
        @output_options("table, json", "table")
        @click.pass_context
        def history(ctx, **params):
            """Runs of a scope with their counts and a per-control trend."""
            return _go(ctx, _store_run("cmd_history"), namespace(ctx, "history", params))

    @_lazy(cli, "diff")
    def _declare_diff():
        @cli.command(epilog=_epilog("""
specguard diff --store sqlite:///specguard.db          # the latest run against the one before
specguard diff 41 42 --format markdown -o diff.md
specguard diff yesterday.json today.json
specguard diff --fail-on high                          # exit 1 if a new high or critical failure appeared""",
                                    statuses=False)
                     + "\n\n\b\nExit status: 0 done (with --fail-on: nothing new at or above it); 1 with --fail-on: "
                       "a new failure (or a newly unknown finding, unless --allow-unknown) at or above it; 2 the "
                       "options or the runs named were wrong; 3 the store could not be used.")
        @click.argument("runs", nargs=-1, metavar="[A [B]]")
        @click.option("--store", metavar="URL", help=STORE_HELP)
        @click.option("--scope", metavar="NAME", help="the scope (needed when the store holds several)")
        @click.option("--fail-on", metavar="SEVERITY",
                      help="exit 1 when B has a NEW fail (or a newly unknown finding, unless --allow-unknown) at or "
                           "above this severity: info, low, medium, medium-high, high, critical, or none (default: "
                           "no gate, exit 0); findings failing in both runs do not count")
        @click.option("--allow-unknown", is_flag=True, help="with --fail-on: findings that became unknown do not count")
        @output_options("table, json, markdown, html", "table")
        @click.pass_context
        def diff(ctx, **params):
            """What changed between two runs: A and B are run ids or results files (default: the latest
            run of the scope against its previous one; one run: against the one before it)."""
            return _go(ctx, _store_run("cmd_diff"), namespace(ctx, "diff", params))
