"""WAF-01, LOG-01, LOG-02 live: web ACLs of HTTP entry points, VPC flow logs, Lambda tracing.

Fields follow the Terraform mappers (map_edge.py, map_logs.py): ``web_acl`` is the web ACL's
ARN or None, ``flow_logged`` is True when a flow log of the whole VPC records ALL traffic (a flow
log of a subnet or an interface does not count), ``tracing_mode`` is the function's
``TracingConfig.Mode``. A call that fails leaves the fields it feeds Unknown (one coverage entry
per failed call, as every collector); a failed listing becomes a placeholder.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .guard import Failure
from .ops import api_name
from .scope import SOURCE, Scope, tag_dict, unknown, val

WAF_API = api_name("wafv2", "GetWebACLForResource")


def web_acl(scope: Scope, arn: str) -> Value:
    """The regional web ACL protecting a load balancer or REST API stage (None: none)."""
    got = scope.call("wafv2", "GetWebACLForResource", ResourceArn=arn)
    if isinstance(got, Failure):
        return unknown(got, "WebACL")
    acl = (got.get("WebACL") or {}).get("ARN")
    return val(acl or None, "WebACL.ARN" if acl else "WebACL (none associated)", WAF_API)


# ----------------------------------------------------------------- API Gateway REST API stages
def rest_api_stages(scope: Scope) -> list[Resource]:
    apis, fail = scope.pages("apigateway", "GetRestApis", "items")
    api_s = api_name("apigateway", "GetStages")

    def stages(api: dict) -> list[Resource]:
        got = scope.call("apigateway", "GetStages", restApiId=api["id"])
        if isinstance(got, Failure):
            r = scope.placeholder("web_entry", "aws_api_gateway_stage", "apigateway",
                                  f"/restapis/{api['id']}/stages/*", got, f"stages of REST API {api.get('name')}")
            return [r]
        out = []
        for st in got.get("item") or []:
            arn = f"arn:{scope.partition}:apigateway:{scope.region}::/restapis/{api['id']}/stages/{st['stageName']}"
            r = scope.resource("web_entry", "aws_api_gateway_stage", arn, f"{api.get('name')}/{st['stageName']}",
                               (arn,), raw=st, raw_api=api_s)
            r.set("tags", val(dict(st.get("tags") or {}), "tags", api_s))
            r.set("web_acl", web_acl(scope, arn))
            out.append(r)
        return out

    out = [r for group in scope.each(stages, apis) for r in group]
    if fail:
        out.append(scope.placeholder("web_entry", "aws_api_gateway_stage", "apigateway", "/restapis/*/stages/*",
                                     fail, "API Gateway REST API stages"))
    return out


# ----------------------------------------------------------------- VPCs and their flow logs
def vpcs(scope: Scope) -> list[Resource]:
    api_v = api_name("ec2", "DescribeVpcs")
    api_f = api_name("ec2", "DescribeFlowLogs")
    items, fail = scope.pages("ec2", "DescribeVpcs", "Vpcs")
    out: list[Resource] = []
    if items:
        logs, lfail = scope.pages("ec2", "DescribeFlowLogs", "FlowLogs")
    for v in items:
        vid = v["VpcId"]
        arn = scope.arn("ec2", f"vpc/{vid}")
        t = tag_dict(v.get("Tags"))
        r = scope.resource("network", "aws_vpc", arn, t.get("Name") or vid, (arn, vid), raw=v, raw_api=api_v)
        r.context["default"] = bool(v.get("IsDefault"))
        r.set("tags", val(t, "Tags", api_v))
        if lfail:
            r.set("flow_logged", unknown(lfail, "FlowLogs"))
        else:
            mine = [f for f in logs if f.get("ResourceId") == vid]
            full = [f for f in mine if str(f.get("TrafficType", "")).upper() == "ALL"]
            if full:
                r.set("flow_logged", val(True, f"FlowLogs[{full[0].get('FlowLogId')}] (TrafficType ALL)", api_f))
            else:
                seen = ", ".join(f"{f.get('FlowLogId')} records {f.get('TrafficType')}" for f in mine)
                r.set("flow_logged", val(False, f"FlowLogs ({seen or 'none names this VPC'})", api_f))
        out.append(r)
    if fail:
        out.append(scope.placeholder("network", "aws_vpc", "ec2", "vpc/*", fail, "VPCs"))
    return out


# ----------------------------------------------------------------- Lambda functions
def functions(scope: Scope) -> list[Resource]:
    api = api_name("lambda", "ListFunctions")
    api_t = api_name("lambda", "ListTags")
    items, fail = scope.pages("lambda", "ListFunctions", "Functions")
    tags_for = scope.region_tags_later() if items else None

    def own_tags(arn: str):
        got = scope.call("lambda", "ListTags", Resource=arn)
        return unknown(got, "Tags") if isinstance(got, Failure) else val(dict(got.get("Tags") or {}), "Tags", api_t)

    def one(f: dict) -> Resource:
        arn = f["FunctionArn"]
        r = scope.resource("function", "aws_lambda_function", arn, f["FunctionName"], (arn, f["FunctionName"]),
                           raw=f, raw_api=api)
        mode = (f.get("TracingConfig") or {}).get("Mode")
        r.set("tracing_mode", val(mode, "TracingConfig.Mode", api) if mode else
              Unknown(f"{api} gave no TracingConfig", Origin(SOURCE, "TracingConfig.Mode", api=api)))
        # the region's tags in bulk (tagging.py); the function's own ListTags only if that read failed
        r.set("tags", tags_for(arn, lambda: own_tags(arn)))
        return r

    out = scope.each(one, items)
    if fail:
        out.append(scope.placeholder("function", "aws_lambda_function", "lambda", "function:*", fail,
                                     "Lambda functions"))
    return out
