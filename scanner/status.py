"""One transient status line on a terminal (stderr) saying what a live audit is doing before its
progress bar starts ("checking the AWS credentials ... at https://sts.amazonaws.com ..."); nothing
when ``--quiet`` or when stderr is not a terminal (CI logs keep only results and errors)."""
from __future__ import annotations

import sys


class Status:
    def __init__(self, quiet: bool):
        self._status = None
        if quiet or not sys.stderr.isatty():
            return
        from rich.console import Console
        self._status = Console(stderr=True).status("")
        self._status.start()

    def say(self, text: str) -> None:
        if self._status is not None:
            from rich.text import Text   # plain text: a role ARN's [brackets] are not markup

            from .terminal import printable
            self._status.update(Text(printable(text)))

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
