"""`specguard audit aws --store` against moto's server (the production code path): two nightly
audits kept in one scope named after the accounts and regions, the second saying what changed."""
from __future__ import annotations

import importlib
import json

from aws_support import ACCOUNT, load_platform, servers, use_env  # noqa: F401 (a fixture)

CLI = "scanner.cli"
REGIONS = "us-east-1,us-west-2"


def test_nightly_audits_are_kept_in_the_accounts_and_regions_scope(servers, monkeypatch, tmp_path, capsys):
    server, proxy = servers
    server.reset()
    proxy.clear()
    load_platform(server.url, False, proxy)
    use_env(monkeypatch, proxy.url)
    main = importlib.import_module(CLI).main
    db = tmp_path / "history.sqlite"
    monkeypatch.setenv("SPECGUARD_STORE", str(db))
    docs = []
    for night in (1, 2):
        out = tmp_path / f"n{night}.json"
        rc = main(["audit", "aws", "--regions", REGIONS, "-f", "json", "-o", str(out), "-f", "table",
                   "--fail-on", "none"])
        assert rc == 0
        docs.append(json.loads(out.read_text()))
    printed = capsys.readouterr()
    scope = f"aws accounts={ACCOUNT} regions={REGIONS}"
    assert docs[0]["history"] == {"scope": scope, "previous_run": None}
    assert docs[1]["history"]["scope"] == scope
    assert docs[1]["history"]["previous_run"]["id"] == docs[0]["run"]["id"]
    assert f"since the previous run of this scope ({docs[0]['run']['started_at']}): 0 new, 0 resolved" in printed.out
    assert main(["history"]) == 0
    assert f"scope {scope}: 2 run(s)" in capsys.readouterr().out
    got = tmp_path / "got.json"
    assert main(["store", "get", docs[1]["run"]["id"], "-o", str(got)]) == 0
    assert got.read_bytes() == (tmp_path / "n2.json").read_bytes()
