"""Date and time functions on given values: formatdate timeadd timecmp (timestamp() and
plantimestamp() are known only when Terraform runs: see IMPURE in the package)."""
from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

from ._base import EvalError, fn, string

_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def parse_timestamp(v) -> dt.datetime:
    s = string(v, "the timestamp")
    m = _RFC3339.fullmatch(s)
    if not m:
        raise EvalError(f"not a valid RFC3339 timestamp: {s[:40]!r}")
    y, mo, d, h, mi, sec, frac, zone = m.groups()
    if zone in ("Z", "z"):
        tz = dt.timezone.utc
    else:
        sign = -1 if zone[0] == "-" else 1
        oh, om = int(zone[1:3]), int(zone[4:6])
        if oh > 23 or om > 59:
            raise EvalError(f"not a valid RFC3339 timestamp: the UTC offset {zone} is out of range")
        tz = dt.timezone(sign * dt.timedelta(hours=oh, minutes=om))
    micro = int((frac or ".0")[1:7].ljust(6, "0"))
    try:
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), micro, tzinfo=tz)
    except ValueError as e:
        raise EvalError(f"not a valid RFC3339 timestamp: {e}")


def rfc3339(t: dt.datetime) -> str:
    off = t.utcoffset()
    if not off:
        zone = "Z"
    else:
        mins = int(off.total_seconds()) // 60
        zone = f"{'-' if mins < 0 else '+'}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}{zone}"


def _offset(t: dt.datetime, colon: bool) -> str:
    mins = int(t.utcoffset().total_seconds()) // 60
    sep = ":" if colon else ""
    return f"{'-' if mins < 0 else '+'}{abs(mins) // 60:02d}{sep}{abs(mins) % 60:02d}"


_TOKEN = re.compile(r"'(?:[^']|'')*'?|''|([A-Za-z])\1*|[^'A-Za-z]+")


def _verb(tok: str, t: dt.datetime) -> str:
    c, n = tok[0], len(tok)
    h12 = t.hour % 12 or 12
    table = {
        ("Y", 2): lambda: f"{t.year % 100:02d}", ("Y", 4): lambda: f"{t.year:04d}",
        ("M", 1): lambda: str(t.month), ("M", 2): lambda: f"{t.month:02d}",
        ("M", 3): lambda: _MONTHS[t.month - 1][:3], ("M", 4): lambda: _MONTHS[t.month - 1],
        ("D", 1): lambda: str(t.day), ("D", 2): lambda: f"{t.day:02d}",
        ("E", 3): lambda: _DAYS[t.weekday()][:3], ("E", 4): lambda: _DAYS[t.weekday()],
        ("h", 1): lambda: str(t.hour), ("h", 2): lambda: f"{t.hour:02d}",
        ("H", 1): lambda: str(h12), ("H", 2): lambda: f"{h12:02d}",
        ("A", 2): lambda: "AM" if t.hour < 12 else "PM", ("a", 2): lambda: "am" if t.hour < 12 else "pm",
        ("m", 1): lambda: str(t.minute), ("m", 2): lambda: f"{t.minute:02d}",
        ("s", 1): lambda: str(t.second), ("s", 2): lambda: f"{t.second:02d}",
        ("Z", 1): lambda: "Z" if not t.utcoffset() else _offset(t, True),
        ("Z", 3): lambda: "UTC" if not t.utcoffset() else _offset(t, False),
        ("Z", 4): lambda: _offset(t, False), ("Z", 5): lambda: _offset(t, True),
    }
    f = table.get((c, n))
    if f is None:
        raise EvalError(f"invalid date format verb {tok!r}")
    return f()


@fn("formatdate", 2)
def _formatdate(spec, timestamp):
    spec, t = string(spec, "the format"), parse_timestamp(timestamp)
    out = []
    for m in _TOKEN.finditer(spec):
        tok = m.group(0)
        if tok.startswith("'"):
            if tok == "''":
                out.append("'")
            else:
                body = tok[1:-1] if len(tok) > 1 and tok.endswith("'") else tok[1:]
                out.append(body.replace("''", "'"))
        elif tok[0].isascii() and tok[0].isalpha():
            out.append(_verb(tok, t))
        else:
            out.append(tok)
    return "".join(out)


_UNITS = {"ns": Fraction(1, 1000), "us": Fraction(1), "\u00b5s": Fraction(1), "\u03bcs": Fraction(1),
          "ms": Fraction(1000), "s": Fraction(10 ** 6), "m": Fraction(60 * 10 ** 6),
          "h": Fraction(3600 * 10 ** 6)}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_duration(v) -> dt.timedelta:
    """Go's time.ParseDuration: "1h30m", "-10m", "1.5h", "300ms"."""
    s = string(v, "the duration")
    text = s
    sign = 1
    if text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return dt.timedelta(0)
    if not text or len(text) > 100:
        raise EvalError(f"invalid duration {s!r}")
    total, pos = Fraction(0), 0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            break
        total += Fraction(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text):
        raise EvalError(f"invalid duration {s!r}")
    if total > 2 ** 63 // 1000:
        raise EvalError(f"invalid duration {s!r}: out of range")
    return dt.timedelta(microseconds=int(sign * total))


@fn("timeadd", 2)
def _timeadd(timestamp, duration):
    t, d = parse_timestamp(timestamp), parse_duration(duration)
    try:
        return rfc3339(t + d)
    except OverflowError:
        raise EvalError("the resulting time is out of range")


@fn("timecmp", 2)
def _timecmp(a, b):
    ta, tb = parse_timestamp(a), parse_timestamp(b)
    return (ta > tb) - (ta < tb)
