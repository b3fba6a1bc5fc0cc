"""The Azure read-only guard: GETs to the configured Resource Manager, plus exactly one Resource Graph POST.

And an endpoint that echoes the bearer token in its errors: the token appears in no
report, no coverage entry, nothing printed.
"""
from __future__ import annotations

import json

import pytest

import azure_emulator as ae
from scanner.cli import main
from scanner.sources.azure.session import ReadOnlyPolicy, ReadOnlyViolation

ARM = "https://management.azure.com"
GRAPH = "/providers/Microsoft.ResourceGraph/resources"
SUB = "00000000-0000-0000-0000-0000000000a1"


@pytest.mark.parametrize("method,url", [
    ("GET", f"{ARM}/subscriptions?api-version=2022-12-01"),
    ("GET", f"{ARM}/subscriptions/{SUB}/resourceGroups?api-version=2021-04-01&$skiptoken=abc"),
    ("POST", f"{ARM}{GRAPH}?api-version=2021-03-01"),
    ("POST", f"{ARM}{GRAPH}?api-version=2024-04-01-preview"),
    ("POST", f"{ARM}{GRAPH.lower()}?api-version=2021-03-01"),    # ARM paths are case-insensitive
    ("POST", f"https://MANAGEMENT.azure.com:443{GRAPH}?api-version=2021-03-01"),
])
def test_reads_and_the_resource_graph_query_are_allowed(method, url):
    assert ReadOnlyPolicy(ARM).allows(method, url)


@pytest.mark.parametrize("method,url", [
    # a path that merely ends like the Resource Graph endpoint (the old check let these through)
    ("POST", f"{ARM}/subscriptions/{SUB}{GRAPH}?api-version=2021-03-01"),
    ("POST", f"{ARM}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app{GRAPH}"
             "?api-version=2021-03-01"),
    ("POST", f"{ARM}{GRAPH}/?api-version=2021-03-01"),
    # another scheme, host or port
    ("POST", f"http://management.azure.com{GRAPH}?api-version=2021-03-01"),
    ("POST", f"https://attacker.example{GRAPH}?api-version=2021-03-01"),
    ("POST", f"https://management.azure.com.attacker.example{GRAPH}?api-version=2021-03-01"),
    ("POST", f"https://management.azure.com:8443{GRAPH}?api-version=2021-03-01"),
    ("POST", f"https://user:pw@management.azure.com{GRAPH}?api-version=2021-03-01"),
    # the query: exactly one api-version of the shape YYYY-MM-DD[-preview]
    ("POST", f"{ARM}{GRAPH}"),
    ("POST", f"{ARM}{GRAPH}?api-version=latest"),
    ("POST", f"{ARM}{GRAPH}?api-version=2021-03-01&api-version=2021-03-01"),
    ("POST", f"{ARM}{GRAPH}?api-version=2021-03-01&x=/providers/Microsoft.ResourceGraph/resources"),
    ("POST", f"{ARM}{GRAPH}?api-version=2021-03-01#frag"),
    # writes, and secret-returning POSTs
    ("POST", f"{ARM}/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Cache/redis/r/listKeys"
             "?api-version=2024-11-01"),
    ("POST", f"{ARM}/subscriptions/{SUB}/providers/Microsoft.Sql/register?api-version=2021-04-01"),
    ("PUT", f"{ARM}/subscriptions/{SUB}/resourcegroups/rg-new?api-version=2021-04-01"),
    ("PATCH", f"{ARM}/subscriptions/{SUB}/resourcegroups/rg?api-version=2021-04-01"),
    ("DELETE", f"{ARM}/subscriptions/{SUB}/resourcegroups/rg?api-version=2021-04-01"),
    ("PUT", f"{ARM}{GRAPH}?api-version=2021-03-01"),
    # a GET elsewhere (a nextLink pointing away would carry the bearer token there)
    ("GET", f"https://attacker.example/subscriptions?api-version=2022-12-01"),
    ("GET", f"http://management.azure.com/subscriptions?api-version=2022-12-01"),
])
def test_everything_else_is_refused(method, url):
    assert not ReadOnlyPolicy(ARM).allows(method, url)


def test_an_arm_endpoint_with_a_base_path():
    p = ReadOnlyPolicy("https://127.0.0.1:8443/arm")
    assert p.allows("POST", f"https://127.0.0.1:8443/arm{GRAPH}?api-version=2021-03-01")
    assert not p.allows("POST", f"https://127.0.0.1:8443{GRAPH}?api-version=2021-03-01")
    assert not p.allows("POST", f"https://127.0.0.1{GRAPH}?api-version=2021-03-01")


# ----------------------------------------------------------------------------- against the emulator
@pytest.fixture
def emu(tmp_path, monkeypatch):
    e = ae.ArmEmulator(page_size=1).start(tmp_path)
    for k, v in e.env().items():
        monkeypatch.setenv(k, v)
    for k in ("AZURE_SDK_CLOUD_CONF", "AZURE_USERNAME", "AZURE_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(k, raising=False)
    e.add_subscription(SUB, "standby")
    e.add_resource_group(SUB, "rg-standby", tags={"Environment": "prod"})
    e.put(ae.key_vault(SUB, "rg-standby", "kv-standby", tags={"Environment": "prod"}))
    e.put(ae.storage_account(SUB, "rg-standby", "ststandby", tags={"Environment": "prod"}, min_tls="TLS1_2"))
    yield e
    e.stop()


def test_the_pipeline_refuses_before_sending(emu):
    """Through a real SDK client: a look-alike Graph POST, and a GET to another host name of the same
    server, never reach the wire; the real Graph query does."""
    from azure.core.rest import HttpRequest
    from scanner.sources.azure.session import Session, make_credential, resolve_endpoints
    ep = resolve_endpoints(None, emu.base_url, None)
    s = Session(make_credential(ep, None), ep, max_retries=0)
    try:
        c = s.client("resources", SUB)
        port = emu.base_url.rsplit(":", 1)[1]
        for method, url in (
                ("POST", f"{emu.base_url}/subscriptions/{SUB}{GRAPH}?api-version=2021-03-01"),
                ("POST", f"{emu.base_url}{GRAPH}?api-version=2021-03-01&$top=1"),
                ("GET", f"https://localhost:{port}/subscriptions?api-version=2022-12-01")):
            with pytest.raises(ReadOnlyViolation):
                c.send_request(HttpRequest(method, url, json={"query": "Resources"}))
        assert emu.arm_requests() == []
        ok = c.send_request(HttpRequest("POST", f"{emu.base_url}{GRAPH}?api-version=2021-03-01",
                                        json={"subscriptions": [SUB], "query": "Resources | project id"}))
        assert ok.status_code == 200
        assert [r["method"] for r in emu.arm_requests()] == ["POST"]
    finally:
        s.close()


def test_an_endpoint_echoing_the_bearer_token_leaks_it_nowhere(emu, tmp_path, capsys):
    emu.fault(r"/providers/microsoft\.keyvault/vaults$", 403, echo=True)
    emu.fault(r"/providers/microsoft\.storage/storageaccounts$", 500, echo=True)
    outs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "html", "sarif", "junit", "markdown")}
    args = ["audit", "azure", "--arm-endpoint", emu.base_url, "--quiet", "--max-retries", "0", "--timeout", "5"]
    for fmt, path in outs.items():
        args += ["--format", fmt, "-o", str(path)]
    rc = main(args + ["--format", "table", "--show-pass"])
    captured = capsys.readouterr()
    assert rc == 1
    tokens = sorted(emu._tokens)   # noqa: SLF001 - every token the emulator issued
    assert tokens
    echoed = [r for r in emu.arm_requests() if r["status"] in (403, 500)]
    assert len(echoed) >= 2   # the echo was served
    doc = json.loads(outs["json"].read_text())
    msgs = [c["message"] for c in doc["coverage"]]
    assert any("Microsoft.KeyVault/vaults (list)" in m and "403 <redacted>" in m for m in msgs), msgs
    vaults = [f for f in doc["findings"] if f["resource"]["type"] == "azurerm_key_vault"]
    assert vaults and {f["status"] for f in vaults} == {"unknown"}
    texts = {"stdout": captured.out, "stderr": captured.err, **{k: p.read_text() for k, p in outs.items()}}
    for where, text in texts.items():
        for t in tokens:
            assert t not in text, f"{where} holds a bearer token"
        assert ae.CLIENT_SECRET not in text, where
