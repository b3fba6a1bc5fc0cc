"""The program's scan leaves its garbage frozen for the exit (cli._freeze_garbage); a library caller's is not."""
import gc
import sys

import pytest

from scanner import cli

FIXTURE = "fixtures/aws-platform/violating/plan.json"


@pytest.fixture(autouse=True)
def collector_restored(monkeypatch):
    monkeypatch.setattr(cli, "_FREEZE_AT_EXIT", False)
    was = gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable() if was else gc.disable()


def test_the_programs_scan_freezes_what_it_leaves_for_the_exit(monkeypatch, tmp_path):
    gc.unfreeze()
    monkeypatch.setattr(sys, "argv", ["specguard", "scan", FIXTURE, "--quiet", "-o", str(tmp_path / "r.json")])
    assert cli.main() in (0, 1)
    assert gc.get_freeze_count() > 0
    assert (tmp_path / "r.json").stat().st_size > 0


def test_a_library_callers_scan_is_collected_as_usual(tmp_path):
    gc.unfreeze()
    assert cli.main(["scan", FIXTURE, "--quiet", "-o", str(tmp_path / "r.json")]) in (0, 1)
    assert gc.get_freeze_count() == 0


def test_other_commands_do_not_freeze(monkeypatch, capsys):
    gc.unfreeze()
    monkeypatch.setattr(sys, "argv", ["specguard", "controls"])
    assert cli.main() == 0
    assert gc.get_freeze_count() == 0
