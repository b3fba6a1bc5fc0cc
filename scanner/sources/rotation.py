"""How often a secret or key rotates, from what each source writes (SEC-02), the same for every source.

* Secrets Manager ``AutomaticallyAfterDays`` / ``automatically_after_days``: days.
* Secrets Manager ``ScheduleExpression`` / ``schedule_expression``: ``rate(N days|hours)`` or
  ``cron(minutes hours day-of-month month day-of-week year)``. A cron schedule's interval is bounded by the
  widest gap between the months it runs in, at the longest those months can be (every month: 31 days;
  every three months: 92, as from 1 July to 1 October).
* Key Vault rotation policies: ISO 8601 durations (``P90D``, ``P3M``, ``P1Y``), months at their longest
  run of calendar months and years at 366 days, so the interval is never understated.

Each returns days (int), or a string saying why it cannot be read.
"""
from __future__ import annotations

import math
import re

# patterns, not compiled at import: re compiles (and caches) each on first use, so a scan with no
# rotation schedule does not pay for them at start-up
_RATE = r"^\s*rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)\s*$"
_CRON = r"^\s*cron\((.*)\)\s*$"
_DURATION = r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
_MONTHS = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                           "NOV", "DEC"))}


def iso_days(text) -> int | str:
    """An ISO 8601 duration in days, rounded up (months at 31 days, years at 366)."""
    m = re.match(_DURATION, str(text).strip(), re.I) if isinstance(text, str) else None
    if not m or not any(m.groups()):
        return f"{text!r} is not an ISO 8601 duration"
    y, mo, w, d, h, mi, s = (int(g or 0) for g in m.groups())
    seconds = h * 3600 + mi * 60 + s
    return y * 366 + longest_months(mo) + w * 7 + d + math.ceil(seconds / 86400)


_LENGTHS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def longest_months(n: int) -> int:
    """The most days ``n`` consecutive calendar months can span."""
    full, rest = divmod(n, 12)
    best = max(sum(_LENGTHS[(i + k) % 12] for k in range(rest)) for i in range(12)) if rest else 0
    return full * 366 + best


def schedule_days(expr) -> int | str:
    """The longest interval of a Secrets Manager rotation schedule expression, in days."""
    if not isinstance(expr, str):
        return f"{expr!r} is not a schedule expression"
    m = re.match(_RATE, expr, re.I)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        return n if unit.startswith("day") else max(1, math.ceil(n / 24))
    m = re.match(_CRON, expr, re.I)
    if not m:
        return f"{expr!r} is neither rate() nor cron()"
    fields = m.group(1).split()
    if len(fields) != 6:
        return f"{expr!r}: a cron expression has six fields"
    if fields[5] not in ("*", "?"):
        return f"{expr!r} runs only in the years {fields[5]}"
    months = _months(fields[3])
    if isinstance(months, str):
        return f"{expr!r}: {months}"
    gap = max(((months[(i + 1) % len(months)] - months[i]) % 12) or 12 for i in range(len(months)))
    return longest_months(gap)


def _months(field: str) -> list[int] | str:
    if field in ("*", "?"):
        return list(range(1, 13))
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, _, st = part.partition("/")
            if not st.isdigit() or int(st) == 0:
                return f"month step {st!r} is not understood"
            step = int(st)
        if part in ("*", "?"):
            lo, hi = 1, 12
        elif "-" in part:
            a, _, b = part.partition("-")
            lo, hi = _month(a), _month(b)
        else:
            lo = hi = _month(part)
            if step > 1:
                hi = 12
        if lo is None or hi is None or lo > hi:
            return f"month {part!r} is not understood"
        out.update(range(lo, hi + 1, step))
    return sorted(out)


def _month(text: str) -> int | None:
    t = text.strip().upper()
    if t.isdigit() and 1 <= int(t) <= 12:
        return int(t)
    return _MONTHS.get(t)
