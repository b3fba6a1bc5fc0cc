"""LOG-01 and LOG-02 in Terraform: flow logs of virtual networks, tracing of functions.

A flow log is a separate resource that names its network (``aws_flow_log.vpc_id``; Azure's
``azurerm_network_watcher_flow_log.target_resource_id`` or ``network_security_group_id``), joined
by reference (join_targets.attached): one that may name the network but cannot be shown to makes
the verdict unknown, never a pass. A flow log on a subnet or an interface does not count for its VPC.
"""
from __future__ import annotations

from ...model import Resource
from ...values import Origin, Unknown, Value
from .join_targets import attached, is_missing, managed_target
from .joins import related
from .map_data import setting
from .normalize import maps
from .tfmodel import TfResource

_FLOW = ("aws_flow_log",)


def _logged(tf: TfResource, value: bool, path: str) -> Value:
    return Value(value, Origin(tf.source, path, tf.file, tf.line))


@maps("aws_vpc", kind="network")
def aws_vpc(tf: TfResource, r: Resource) -> None:
    certain, pending = attached(tf, _FLOW, "vpc_id", {"aws_vpc"})
    partial, doubt = [], None
    for f in certain:
        tt = setting(f, "traffic_type")
        if tt is not None and tt.known and str(tt.value).upper() == "ALL":
            r.set("flow_logged", Value(True, Origin(f.source, f"{f.address} (vpc_id, traffic_type = ALL)",
                                                    f.file, f.line)))
            return
        if tt is None or not tt.known:
            doubt = doubt or Unknown(f"the traffic type of {f.address} is not known"
                                     f"{': ' + tt.reason if tt is not None else ''}", f.origin("traffic_type"))
        else:
            partial.append(f"{f.address} records only {tt.value} traffic")
    if doubt is not None:
        r.set("flow_logged", doubt)
    elif pending:
        r.set("flow_logged", Unknown(f"a flow log may name this VPC: {pending.why}", tf.origin("aws_flow_log")))
    else:
        seen = "; ".join(partial) or "no aws_flow_log names this VPC (a subnet or interface flow log does not count)"
        r.set("flow_logged", _logged(tf, False, f"flow logs ({seen})"))


_AZ_FLOW = ("azurerm_network_watcher_flow_log",)


def _az_enabled(tf: TfResource, attrs: tuple[str, ...], data_types: set[str]) -> Value | None:
    """True when an enabled flow log names ``tf`` through one of ``attrs``; Unknown when one may;
    None when none does."""
    doubt = None
    for attr in attrs:
        certain, pending = attached(tf, _AZ_FLOW, attr, data_types)
        for f in certain:
            en = setting(f, "enabled", True, "enabled")
            if en is not None and en.known and en.truthy().is_true:
                return Value(True, Origin(f.source, f"{f.address} ({attr}, enabled = true)", f.file, f.line))
            if en is not None and not en.known:
                doubt = doubt or Unknown(f"whether {f.address} is enabled is not known: {en.reason}", en.origin)
        if pending and doubt is None:
            doubt = Unknown(f"a flow log may name {tf.address}: {pending.why}", tf.origin("flow log"))
    return doubt


@maps("azurerm_virtual_network", kind="network")
def azurerm_virtual_network(tf: TfResource, r: Resource) -> None:
    direct = _az_enabled(tf, ("target_resource_id",), {"azurerm_virtual_network"})
    if direct is not None and direct.known:
        r.set("flow_logged", direct)
        return
    # otherwise each NSG of its subnets must record its traffic
    subnets = related(tf, ("azurerm_subnet",), "virtual_network_name")
    missing, unknown = [], direct
    nsgs = []
    for s in subnets:
        assoc = related(s, ("azurerm_subnet_network_security_group_association",), "subnet_id")
        if not assoc:
            missing.append(f"{s.address} has no network security group")
            continue
        nsg = managed_target(assoc[0], "network_security_group_id", ("azurerm_network_security_group",))
        if isinstance(nsg, Unknown):
            unknown = unknown or nsg
            continue
        if nsg is None:
            unknown = unknown or Unknown(f"{assoc[0].address} names a network security group outside this "
                                         f"configuration", assoc[0].origin("network_security_group_id"))
            continue
        nsgs.append(nsg)
    inline = tf.raw("subnet")
    if isinstance(inline, list) and inline:
        missing.append("subnets declared inline are not joined to network security groups here")
        unknown = unknown or Unknown("the network's inline subnets' flow logs are not read",
                                     tf.origin("subnet"))
    for nsg in nsgs:
        v = _az_enabled(nsg, ("network_security_group_id", "target_resource_id"), {"azurerm_network_security_group"})
        if v is None:
            missing.append(f"{nsg.address} has no enabled flow log")
        elif not v.known:
            unknown = unknown or v
    if not subnets and not (isinstance(inline, list) and inline):
        missing.append("no flow log names the network and it has no subnet")
    if missing and direct is not None:
        r.set("flow_logged", direct)   # a flow log that may name the network would record it all
    elif missing and not (isinstance(inline, list) and inline):
        r.set("flow_logged", _logged(tf, False, f"flow logs ({'; '.join(missing)})"))
    elif unknown is not None:
        r.set("flow_logged", unknown)
    else:
        r.set("flow_logged", _logged(tf, True, "flow logs (every NSG of its subnets: "
                                              f"{', '.join(n.address for n in nsgs)})"))


@maps("aws_lambda_function", kind="function")
def aws_lambda_function(tf: TfResource, r: Resource) -> None:
    block = tf.raw("tracing_config")
    declared = tf.project.declares(tf, "tracing_config") if tf.project is not None else None
    if is_missing(block) or (isinstance(block, Unknown) and declared is False):
        r.set("tracing_mode", Value("PassThrough", Origin(tf.source, "tracing_config (unset: PassThrough, no X-Ray "
                                                                     "tracing)", tf.file, tf.line)))
        return
    if isinstance(block, Unknown):
        r.set("tracing_mode", Unknown(block.reason, tf.origin("tracing_config")))
        return
    r.set("tracing_mode", tf.get("tracing_config.0.mode"))
