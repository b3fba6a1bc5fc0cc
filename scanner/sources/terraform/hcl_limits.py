"""Limits of the .tf evaluator that no real configuration meets.

A pull request is untrusted input: `count = 1000000000`, `range(1e9)` or locals that double a
list twenty times would otherwise take the gate's memory and time. Hitting a limit is an input
error (exit 2) naming the limit and the file:line being evaluated, never an Unknown: a value
specguard refused to compute must not be mistaken for one Terraform cannot know.
"""
from __future__ import annotations

MAX_INSTANCES = 10_000          # instances one resource or module call may make (count / for_each)
MAX_ELEMENTS = 100_000          # elements of one list, set, map or object produced by evaluation
MAX_STRING = 4 * 1024 * 1024    # characters of one string produced by evaluation
MAX_FILE_BYTES = 8 * 1024 * 1024  # one .tf, .tf.json, .tfvars file, or a file read by file()
MAX_STEPS = 1_000_000           # iterations of for expressions and template loops in one scan


class LimitExceeded(Exception):
    """A limit above was hit. Not an EvalError: try() and can() must not swallow it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        # where it was hit, filled in by the innermost evaluation that knows (hcl.py makes the error)
        self.file: str | None = None
        self.line: int | None = None
        self.what: str | None = None     # the attribute as written: "count = var.n"


def tick(scope, n: int) -> None:
    """Count ``n`` loop iterations against the scan's MAX_STEPS (nested for expressions multiply)."""
    module = getattr(scope, "module", None)
    project = getattr(module, "project", None)
    if project is None:
        return
    project.steps = getattr(project, "steps", 0) + n
    if project.steps > MAX_STEPS:
        raise LimitExceeded(f"more than {MAX_STEPS:,} iterations of for expressions; specguard stops there")
