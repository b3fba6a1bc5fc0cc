"""Build small `terraform show -json` documents for tests.

    plan = Plan()
    kms = plan.add("aws_kms_key", "db", {"enable_key_rotation": True})
    plan.add("aws_db_instance", "main", {"storage_encrypted": True},
             unknown={"kms_key_id": True}, refs={"kms_key_id": ["aws_kms_key.db.arn", "aws_kms_key.db"]})
    plan.default_tags({"Environment": "prod"})
    resources = plan.resources()          # normalized model Resources, linked
    findings = plan.findings("ENC-01")    # engine findings for one control

`module="module.db"` puts a resource in a child module (configuration included).
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any


class Plan:
    def __init__(self, format_version: str = "1.2", terraform_version: str = "1.9.5"):
        self.doc: dict[str, Any] = {
            "format_version": format_version, "terraform_version": terraform_version,
            "planned_values": {"root_module": {}}, "resource_changes": [],
            "configuration": {"provider_config": {}, "root_module": {}},
        }

    # ------------------------------------------------------------------ building
    def _module(self, root: dict, module: str, config: bool) -> dict:
        node = root
        addr = ""
        for name, idx in re.findall(r'module\.([A-Za-z0-9_-]+)(\[[^\]]*\])?', module or ""):
            if config:
                calls = node.setdefault("module_calls", {})
                node = calls.setdefault(name, {"source": f"./modules/{name}", "module": {}})["module"]
            else:
                addr = f"{addr}.module.{name}{idx}" if addr else f"module.{name}{idx}"
                kids = node.setdefault("child_modules", [])
                found = next((k for k in kids if k["address"] == addr), None)
                if found is None:
                    found = {"address": addr, "resources": []}
                    kids.append(found)
                node = found
        return node

    def add(self, type_: str, name: str, values: dict | None = None, *, module: str = "", index=None,
            unknown: dict | None = None, refs: dict | None = None, expressions: dict | None = None,
            actions=("create",), mode: str = "managed", provider_key: str = "aws") -> str:
        local = f"{'data.' if mode == 'data' else ''}{type_}.{name}"
        idx = "" if index is None else (f"[{index}]" if isinstance(index, int) else f'["{index}"]')
        address = f"{module}.{local}{idx}" if module else f"{local}{idx}"
        values = copy.deepcopy(values or {})
        pv = self._module(self.doc["planned_values"]["root_module"], module, False)
        entry = {"address": address, "mode": mode, "type": type_, "name": name,
                 "provider_name": f"registry.terraform.io/hashicorp/{type_.split('_')[0]}",
                 "schema_version": 0, "values": values}
        if index is not None:
            entry["index"] = index
        if tuple(actions) != ("delete",):
            pv.setdefault("resources", []).append(entry)
        rc = {"address": address, "mode": mode, "type": type_, "name": name,
              "provider_name": entry["provider_name"],
              "change": {"actions": list(actions), "before": None if "create" in actions else values,
                         "after": None if tuple(actions) == ("delete",) else values,
                         "after_unknown": unknown or {}}}
        if module:
            rc["module_address"] = module
        if index is not None:
            rc["index"] = index
        self.doc["resource_changes"].append(rc)
        cm = self._module(self.doc["configuration"]["root_module"], module, True)
        cres = cm.setdefault("resources", [])
        if not any(c["address"] == local for c in cres):
            exprs = {k: {"constant_value": v} for k, v in values.items() if not isinstance(v, (dict, list))}
            for k, r in (refs or {}).items():
                exprs[k] = {"references": r}
            exprs.update(expressions or {})
            ckey = f"{module.split('[')[0]}:{provider_key}" if module and ":" not in provider_key else provider_key
            cres.append({"address": local, "mode": mode, "type": type_, "name": name,
                         "provider_config_key": provider_key if not module else ckey, "expressions": exprs,
                         "schema_version": 0})
        return address

    def module_input(self, module: str, var: str, references: list[str] | None = None, constant=None):
        """Set a module call's input expression (module = 'module.a' or 'module.a.module.b')."""
        parent = module.rsplit(".module.", 1)[0] if ".module." in module else ""
        name = module.rsplit("module.", 1)[1].split("[")[0]
        node = self._module(self.doc["configuration"]["root_module"], parent, True)
        call = node.setdefault("module_calls", {}).setdefault(name, {"source": f"./modules/{name}", "module": {}})
        call.setdefault("expressions", {})[var] = (
            {"references": references} if references is not None else {"constant_value": constant})

    def default_tags(self, tags: dict | None = None, references: list[str] | None = None, key: str = "aws"):
        expr = {"constant_value": tags} if references is None else {"references": references}
        self.doc["configuration"]["provider_config"][key] = {
            "name": key.split(".")[0], "full_name": "registry.terraform.io/hashicorp/aws",
            "expressions": {"default_tags": [{"tags": expr}]}}
        if "." in key:
            self.doc["configuration"]["provider_config"][key]["alias"] = key.split(".", 1)[1]

    # ------------------------------------------------------------------ using
    def json(self) -> str:
        return json.dumps(self.doc)

    def write(self, path) -> str:
        with open(path, "w") as fh:
            fh.write(self.json())
        return str(path)

    def project(self):
        from scanner.sources.terraform.plan import load_plan
        return load_plan("<test>", json.loads(self.json()))

    def resources(self):
        from scanner.link import link
        from scanner.sources.terraform.normalize import normalize
        return link(normalize(self.project()))

    def findings(self, control_id: str | None = None, profile=None):
        from scanner.engine import evaluate
        from scanner.profile import spec_profile
        prof = profile or spec_profile()
        if control_id:
            for cid, cs in prof.controls.items():
                cs.enabled = cid == control_id
        return evaluate(self.resources(), prof)

    def verdicts(self, control_id: str) -> dict[str, str]:
        """address -> status for one control."""
        return {f.resource.address: f.status for f in self.findings(control_id)}
