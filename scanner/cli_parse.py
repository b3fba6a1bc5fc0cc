"""The ``specguard`` command line's parsing, on click: commands, options, help, usage errors.

What click does not do by itself, and specguard's contract needs:

* ``--format F`` / ``-o FILE`` are pairs, in the order given (``--format json -o r.json --format
  html -o r.html``): click gives each option's values apart, so ``Command.parse_args`` also keeps the
  order the two options came in (click's own parser reports it) and ``outputs()`` pairs them.
* A usage error is one line on stderr, exit 2, naming the command and pointing at its help:
  ``specguard scan: no such option --fial-on (did you mean --fail-on?); see specguard scan --help``.
  A mistyped command gets a suggestion too (click suggests options only).
* The commands receive one namespace (``args.fail_on``, ``args.outputs``, ...), as before.
"""
from __future__ import annotations

from types import SimpleNamespace

import click

ORDER = "specguard.output_order"
HELP = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Command(click.Command):
    """A command whose ``--format``/``-o`` options keep the order they were given in."""

    def parse_args(self, ctx, args):
        if not ctx.resilient_parsing:
            # click's parser returns the parameters in the order they appeared (once per use); it
            # changes the list it reads, hence the copy.  A usage error is raised here as click would.
            try:
                _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            except click.UsageError as e:
                e.ctx = e.ctx or ctx   # the parser's errors do not name their command
                raise
            ctx.meta[ORDER] = [p.name for p in order if p.name in ("format_", "output")]
        return super().parse_args(ctx, args)


class Group(click.Group):
    """Subcommands, with a suggestion for a mistyped one.  ``lazy`` holds subcommands declared on first
    use (click's lazy-loading pattern): their options and modules cost a scan nothing."""

    command_class = Command
    group_class = type   # subgroups are Groups too

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy: dict = {}   # name -> a function that declares that subcommand on this group

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        declare = self.lazy.pop(name, None)
        if declare is not None:
            declare()
        return super().get_command(ctx, name)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as e:
            name = args[0] if args else ""
            if name.startswith("-") or not name:
                raise
            import difflib   # only for a mistyped command: not at every start
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            e.message = f"no such command {name}" + (f" (did you mean {close[0]}?)" if close else "")
            raise


def outputs(ctx, formats, files) -> list[dict] | None:
    """The (format, file) pairs, in order: a file goes with the format before it, if that has none."""
    order = ctx.meta.get(ORDER) or ["format_"] * len(formats) + ["output"] * len(files)
    fi, oi = iter(formats), iter(files)
    outs: list[dict] = []
    for kind in order:
        if kind == "format_":
            outs.append({"format": next(fi), "path": None})
        else:
            path = next(oi)
            if outs and outs[-1]["path"] is None:
                outs[-1]["path"] = path
            else:
                outs.append({"format": None, "path": path})
    return outs or None


def namespace(ctx, command: str, params: dict, **extra) -> SimpleNamespace:
    """The namespace a command reads: lists for repeated options, the output pairs as ``outputs``."""
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    if "format_" in values:   # a command with --format/-o pairs
        values["outputs"] = outputs(ctx, values.pop("format_"), values.pop("output"))
    return SimpleNamespace(command=command, **values, **extra)


def value(check, metavar: str = "VALUE"):
    """A click type from one of ``scanner.options``' checks (a ValueError names what is wrong)."""

    class Checked(click.ParamType):
        name = metavar

        def convert(self, text, param, ctx):
            if not isinstance(text, str):
                return text
            try:
                return check(text)
            except ValueError as e:
                self.fail(str(e), param, ctx)

    return Checked()


def usage_line(e: click.UsageError) -> str:
    """One line for a usage error: the command, what is wrong, where the help is."""
    ctx = e.ctx
    path = ctx.command_path if ctx is not None else "specguard"
    if isinstance(e, click.NoSuchOption):
        what = f"no such option {e.option_name}"
        if e.possibilities:
            what += f" (did you mean {' or '.join(sorted(e.possibilities))}?)"
    elif isinstance(e, click.MissingParameter):
        p = e.param
        what = f"missing {p.human_readable_name if p is not None else 'a parameter'}"
    elif isinstance(e, click.BadParameter):
        hint = e.param_hint or (e.param.opts[0] if e.param is not None and getattr(e.param, "opts", None) else "")
        if isinstance(hint, (list, tuple)):
            hint = " / ".join(hint)
        what = f"{str(hint).strip(chr(39))}: {e.message}" if hint else e.message
    else:
        what = e.message[:1].lower() + e.message[1:]
    return f"{path}: {what.rstrip('.')}; see {path} --help"
