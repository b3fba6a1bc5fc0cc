"""LOG: network and request visibility (seed 002 "VPC flow logs", "Lambda functions with X-Ray
tracing"; seed 003 §4.2 "Logging and monitoring"; seed 004 X-Ray)."""
from __future__ import annotations

from scanner.controls import Check, control


@control("LOG-01", title="Every virtual network records its traffic",
         family="LOG", severity="medium", soc2=["CC7.2", "CC7.3"], kinds=("network",), fields=("flow_logged",),
         requirement="Every virtual network records its traffic, accepted and rejected, in flow logs (AWS: a VPC "
                     "flow log with traffic type ALL; Azure: an enabled flow log on the network or on each of its "
                     "network security groups).")
def log_01(r, ctx):
    chk = Check()
    v = r["flow_logged"]
    chk.require(v.truthy(), "no flow log records the network's accepted and rejected traffic",
                "whether a flow log records the network's traffic is not known", v)
    return chk.verdict("a flow log records the network's accepted and rejected traffic")


@control("LOG-02", title="Functions trace their requests",
         family="LOG", severity="medium", soc2=["CC7.2", "CC7.3"], kinds=("function",), fields=("tracing_mode",),
         requirement="Serverless functions trace their requests (AWS Lambda: X-Ray tracing mode Active).")
def log_02(r, ctx):
    chk = Check()
    v = r["tracing_mode"]
    chk.require(v.eq("Active"), f"request tracing is {v.value or 'off'} (X-Ray tracing mode Active is required)",
                "the function's tracing mode is not known", v)
    return chk.verdict("the function traces its requests (X-Ray, mode Active)")
