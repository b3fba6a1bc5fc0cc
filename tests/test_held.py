"""A live audit's findings held compactly (scanner/held.py) and a Dask audit's units merged lazily
(executor/units.in_run_order): the same findings, in the same order, as the same bytes as the list
a single process builds."""
from __future__ import annotations

import copy
import datetime as dt
import random

from scanner.engine import evaluate
from scanner.executor import aws as aws_units
from scanner.executor.units import UnitResult, in_run_order, pack
from scanner.held import CanonicalParts, HeldFindings, materialise, waived
from scanner.model import Resource
from scanner.profile import spec_profile
from scanner.render.html import canonical_json
from scanner.render.json_out import render as render_json
from scanner.results import Run, build_document, validate
from scanner.values import Origin, Value
from scanner.waivers import Waiver, apply_waivers

ACCOUNTS = [f"1111222233{i:02d}" for i in range(12)]


def _resources(rng: random.Random, most: int = 60) -> list[Resource]:
    """Volumes, keys and security groups over a dozen accounts and two regions; some addresses repeat
    (equal sort keys, where a unit's own order must be kept), values vary (pass, fail, unknown)."""
    out = []
    for aid in ACCOUNTS:
        for n in range(rng.randint(0, most)):
            region = rng.choice(["us-east-1", "eu-west-1"])
            ctx = {"account": aid, "region": region}
            kind = rng.choice(["volume", "kms_key", "security_group"])
            num = rng.randint(0, 6)   # repeats: equal keys
            if kind == "volume":
                r = Resource("volume", "aws_ebs_volume", f"arn:aws:ec2:{region}:{aid}:volume/vol-{num}", "aws", "aws",
                             context=dict(ctx))
                if rng.random() < 0.8:
                    r.set("encrypted", Value(rng.random() < 0.6, Origin("aws", "Encrypted", api="ec2:DescribeVolumes")))
            elif kind == "kms_key":
                r = Resource("kms_key", "aws_kms_key", f"arn:aws:kms:{region}:{aid}:key/k{num}", "aws", "aws",
                             context=dict(ctx))
                r.set("rotation_enabled", Value(rng.random() < 0.5, Origin("aws", "KeyRotationEnabled")))
            else:
                r = Resource("security_group", "aws_security_group", f"arn:aws:ec2:{region}:{aid}:security-group/sg-{num}",
                             "aws", "aws", context=dict(ctx), name=f"sg-{num} ✓")
            out.append(r)
    return out


def _waivers() -> list[Waiver]:
    return [Waiver("ENC-03", f"arn:aws:ec2:*:{ACCOUNTS[3]}:volume/*", "legacy", "ciso@example.com",
                   dt.date(2099, 1, 1), "waivers.yaml:2"),
            Waiver("ENC-05", "arn:aws:kms:eu-west-1:*", "migrating", "ciso@example.com", dt.date(2099, 1, 1),
                   "waivers.yaml:8")]


class _Twice:
    """A stream that can be read again, like a Dask audit's (in_run_order): fresh objects each time."""

    def __init__(self, findings):
        self.findings = findings

    def __iter__(self):
        return iter(copy.deepcopy(self.findings))


def _key(f) -> tuple:
    return (f.control_id, f.resource.address, f.status, f.message, f.fingerprint, tuple(sorted(f.evidence)))


def test_the_lazy_merge_of_packed_units_is_the_stable_sort_of_their_findings():
    prof = spec_profile()
    rank = {cs.control.id: i for i, cs in enumerate(prof.enabled)}
    for seed in range(6):
        rng = random.Random(seed)
        resources = _resources(rng)
        units: dict[str, list] = {}
        for r in resources:
            units.setdefault(r.context["account"], []).append(r)
        order = list(units)
        rng.shuffle(order)   # the listing's order is not the accounts' sort order
        if seed % 2 and len(order) > 2:   # a unit holding another account's resource: key ranges overlap
            units[order[0]].append(units[order[1]][0])
        results, concatenated = [], []
        for u in order:
            found = evaluate(units[u], prof)
            concatenated += found
            results.append(UnitResult("aws", u, pack(copy.deepcopy(found), aws_units.sort_key)))
        expected = sorted(concatenated, key=lambda f: (rank[f.control_id], aws_units.sort_key(f.resource)))
        got = list(in_run_order(results, prof, aws_units.sort_key))
        assert [_key(f) for f in got] == [_key(f) for f in expected], seed
        assert len(got) > 100


def test_azure_units_merge_in_the_local_audits_order():
    """azure.collect sorts its resources (subscription, type, ID): the merge gives that order too."""
    from scanner.executor import azure as az_units
    prof = spec_profile()
    rng = random.Random(3)
    resources = _resources(rng)
    halves = [sorted(h, key=az_units.sort_key) for h in (resources[::2], resources[1::2])]
    found = [evaluate(h, prof) for h in halves]
    rank = {cs.control.id: i for i, cs in enumerate(prof.enabled)}
    expected = sorted(found[0] + found[1], key=lambda f: (rank[f.control_id], az_units.sort_key(f.resource)))
    results = [UnitResult("azure", str(i), pack(copy.deepcopy(fs), az_units.sort_key)) for i, fs in enumerate(found)]
    assert [_key(f) for f in in_run_order(results, prof, az_units.sort_key)] == [_key(f) for f in expected]


def test_a_held_document_is_the_listed_document_byte_for_byte():
    prof = spec_profile()
    resources = _resources(random.Random(7), most=250)
    finished = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.timezone.utc)
    as_list, as_stream = evaluate(resources, prof), evaluate(resources, prof)
    w_list, w_stream = _waivers(), _waivers()
    apply_waivers(as_list, w_list)
    listed = build_document(as_list, prof, Run(), w_list, finished_at=finished)
    held = build_document(waived(_Twice(as_stream), w_stream), prof, Run(), w_stream, finished_at=finished, hold=True)
    held["run"]["id"] = listed["run"]["id"]
    held["run"]["started_at"] = listed["run"]["started_at"]
    assert isinstance(held["findings"], HeldFindings) and len(held["findings"]) == len(listed["findings"]) > 2 * 256   # blocks and an open tail
    assert held["findings"].stored_bytes() * 5 < len(canonical_json({"f": listed["findings"]}))   # compact
    assert any(f["status"] == "waived" for f in listed["findings"])
    assert held["summary"] == listed["summary"] and held["controls"] == listed["controls"]
    assert held["waivers"] == listed["waivers"] and listed["waivers"][0]["matched"]
    parts = render_json(held)
    assert isinstance(parts, CanonicalParts)
    chunks = list(parts)
    assert len(chunks) > 10   # written in parts, never one blob
    assert b"".join(chunks) == canonical_json(listed) == bytes(parts)   # and again: each iteration writes it
    assert list(held["findings"]) == listed["findings"]   # dicts as they were made (key order, types)
    validate(materialise(held))
    assert held["findings"] == listed["findings"] and isinstance(held["findings"], list)


def test_the_json_output_of_a_held_document_is_written_in_parts(tmp_path, monkeypatch, capsysbinary):
    from scanner.outputs import write_all
    prof = spec_profile()
    doc = build_document(evaluate(_resources(random.Random(1)), prof), prof, Run(), hold=True)
    expected = canonical_json(materialise(copy.copy(doc)))
    out = tmp_path / "r.json"
    write_all([({"path": str(out)}, render_json(doc)), ({"path": "-"}, render_json(doc))])
    assert out.read_bytes() == expected
    assert capsysbinary.readouterr().out == expected


def test_held_findings_read_like_a_list():
    items = [{"control_id": f"C-{i}", "n": i, "t": (1, 2), "e": {2: "x"}} for i in range(600)]
    held = HeldFindings(items)
    assert len(held) == 600 and bool(held) and not HeldFindings()
    assert list(held) == items and held[599] == items[599] and held[:2] == items[:2]
    assert list(held)[5]["t"] == (1, 2)   # pickled, not JSON: types kept


def test_waivers_over_a_stream_read_once_or_twice_are_one_call_over_the_list():
    prof = spec_profile()
    resources = _resources(random.Random(11), most=120)
    base = evaluate(resources, prof)
    expected, w_expected = copy.deepcopy(base), _waivers()
    apply_waivers(expected, w_expected)
    for make in (lambda fs: _Twice(fs), lambda fs: (f for f in copy.deepcopy(fs))):   # re-readable; a generator
        w = _waivers()
        got = list(waived(make(base), w))
        assert [(_key(f), f.waiver and f.waiver.origin) for f in got] == \
               [(_key(f), f.waiver and f.waiver.origin) for f in expected]
        assert [sorted(x.matched) for x in w] == [sorted(x.matched) for x in w_expected]
    assert any(f.status == "waived" for f in expected)
