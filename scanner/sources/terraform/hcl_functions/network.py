"""IP network functions: cidrhost cidrnetmask cidrsubnet cidrsubnets (Python's ipaddress)."""
from __future__ import annotations

import ipaddress

from ._base import EvalError, expect_size, fn, integer, string


def _network(prefix) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    text = string(prefix, "the prefix")
    if "/" not in text:
        raise EvalError(f"invalid CIDR expression: {text!r}")
    addr, _, bits = text.partition("/")
    octets = addr.split(".")
    if len(octets) == 4 and all(o.isdigit() and o.isascii() and len(o) <= 4 for o in octets):
        # as Terraform does (a historical accident it keeps): an octet with leading zeros is decimal
        text = ".".join(str(int(o)) for o in octets) + "/" + bits
    try:
        # like Go's net.ParseCIDR, host bits may be set: the network is what counts
        return ipaddress.ip_network(text, strict=False)
    except ValueError as e:
        raise EvalError(f"invalid CIDR expression: {e}")


def _ip_text(ip) -> str:
    # Go writes an IPv4-mapped IPv6 address in dotted form, like its IPv4 counterpart
    return str(ip)


@fn("cidrhost", 2)
def _cidrhost(prefix, hostnum):
    net, n = _network(prefix), integer(hostnum, "the host number")
    size = net.num_addresses
    if n < 0:
        n += size
    if not 0 <= n < size:
        raise EvalError(f"prefix of {net.prefixlen} bits cannot accommodate a host numbered {hostnum}")
    return _ip_text(net.network_address + n)


@fn("cidrnetmask", 1)
def _cidrnetmask(prefix):
    net = _network(prefix)
    if net.version != 4:
        raise EvalError("only IPv4 networks have a netmask")
    return str(net.netmask)


def _subnet(net, newbits: int, num: int):
    if newbits < 0:
        raise EvalError("the number of additional bits must not be negative")
    new_len = net.prefixlen + newbits
    if new_len > net.max_prefixlen:
        raise EvalError(f"insufficient address space to extend prefix of {net.prefixlen} by {newbits}")
    if not 0 <= num < (1 << newbits):
        raise EvalError(f"prefix extension of {newbits} does not accommodate a subnet numbered {num}")
    base = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return type(net)((base, new_len))


@fn("cidrsubnet", 3)
def _cidrsubnet(prefix, newbits, netnum):
    net = _network(prefix)
    return str(_subnet(net, integer(newbits, "newbits"), integer(netnum, "netnum")))


@fn("cidrsubnets", 1, None)
def _cidrsubnets(prefix, *newbits):
    net = _network(prefix)
    expect_size(len(newbits))
    out = []
    start = int(net.network_address)
    end = start + net.num_addresses
    for i, nb in enumerate(newbits):
        nb = integer(nb, f"argument {i + 2}")
        if nb < 1:
            raise EvalError(f"argument {i + 2}: must extend the prefix by at least one bit")
        new_len = net.prefixlen + nb
        if new_len > net.max_prefixlen:
            raise EvalError(f"argument {i + 2}: would extend the prefix to {new_len} bits, which is too "
                            f"long for an IPv{net.version} address")
        size = 1 << (net.max_prefixlen - new_len)
        start = (start + size - 1) // size * size       # the next boundary of a block this size
        if start + size > end:
            raise EvalError(f"argument {i + 2}: not enough remaining address space for a subnet with a "
                            f"prefix of {new_len} bits after {out[-1] if out else net}")
        out.append(str(type(net)((start, new_len))))
        start += size
    return out
