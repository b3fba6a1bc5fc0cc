"""Hostile inputs of issue 13 that used to take minutes or gigabytes: the time each takes now.

    python3 bench/bench_hostile.py

Prints one line per case (seconds, peak memory of this process).  Nothing is asserted: a
figure is compared with the one in the issue (74 s for the 6 MB table cell, > 60 s for the
glob, 4 GB for the YAML aliases).
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def timed(label, fn):
    t = time.perf_counter()
    result = fn()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<62} {time.perf_counter() - t:8.3f} s   peak {rss:7.0f} MB   {result}")


def table_cell():
    from scanner.render import table
    doc = {"findings": [{"control_id": "ENC-01", "status": "fail", "severity": "high",
                         "resource": {"address": "a" * 6_000_000}, "message": "m"}],
           "summary": {"pass": 0, "fail": 1, "unknown": 0, "waived": 0}, "controls": [{}], "run": {"profile": "spec"}}
    return f"{len(table.render(doc))} characters"


def glob():
    from scanner.waivers import Glob
    return Glob("*a" * 40 + "*c", False).fullmatch("a" * 6_000_000)


def glob_question():
    from scanner.waivers import MAX_WILD_PART, Glob
    return Glob("*" + "a?" * (MAX_WILD_PART // 2) + "c*", False).fullmatch("a" * 6_000_000)


def yaml_laughs():
    from scanner.errors import InputError
    from scanner.yamlfile import read_yaml
    lines = ['x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, 9)]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write("\n".join(lines) + "\nname: *x8\n")
    try:
        read_yaml(fh.name, "profile")
        return "read"
    except InputError as e:
        return e.message.split(": ", 1)[1]
    finally:
        os.unlink(fh.name)


if __name__ == "__main__":
    timed("table: one finding with a 6 MB address", table_cell)
    timed("waiver glob *a*a...*c (40 stars) against 6 MB of 'a'", glob)
    timed("waiver glob with a 64-character ?-part against 6 MB", glob_question)
    timed("profile with 9**9 'lol' behind aliases", yaml_laughs)
