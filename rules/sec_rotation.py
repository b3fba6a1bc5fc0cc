"""SEC-02: secrets rotate (seed 002 "AWS Secrets Manager for credential management"; seed 004 "Secrets Manager").

AWS Secrets Manager secrets and Azure Key Vault keys carry ``rotation_days`` (the automatic rotation
interval, an upper bound; None: none). Azure Key Vault secrets cannot rotate themselves: they carry
``expires`` and must expire no more than ``max_days`` ahead of the evaluation (an expired secret
has been replaced or is unusable: it passes, and the evidence gives the date).
"""
from __future__ import annotations

from datetime import datetime, timezone

from scanner.controls import Check, control
from scanner.values import FALSE


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 date-time as Key Vault and Terraform write it ("2027-01-31T00:00:00Z"); None if it is not one."""
    try:
        t = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


@control("SEC-02", title="Secrets rotate automatically at least every 90 days",
         family="SEC", severity="medium-high", soc2=["CC6.1", "CC6.2"], kinds=("data_store", "kms_key", "secret"),
         fields=("rotation_days", "expires"), params={"max_days": 90},
         requirement="Secrets rotate automatically at least every 90 days (Secrets Manager rotation rules; Key "
                     "Vault keys' rotation policy); Key Vault secrets expire no more than 90 days ahead.")
def sec_02(r, ctx):
    chk = Check()
    limit = int(ctx.params.get("max_days", 90))
    if r.has("expires"):
        exp = r["expires"]
        if not exp.known:
            chk.unknown(f"when the secret expires is not known: {exp.reason}", exp)
        elif exp.value is None:
            chk.require(FALSE, f"the secret never expires; "
                               f"{ctx.requires('max_days', f'an expiry no more than {limit} days ahead')}", None, exp)
        else:
            when = parse_time(exp.value)
            if when is None:
                chk.unknown(f"the expiry {exp.value!r} is not a date-time", exp)
            else:
                ahead = (when - ctx.now).total_seconds() / 86400
                chk.see(exp)
                chk.note("days_ahead", round(ahead, 1))
                if ahead > limit:
                    chk.require(FALSE, f"the secret expires {ahead:.0f} days ahead ({exp.value}); "
                                       f"{ctx.requires('max_days', f'no more than {limit} days')}", None, exp)
        return chk.verdict(f"the secret expires within {limit} days, so it must be replaced at least that often")
    days = r["rotation_days"]
    if not days.known:
        chk.unknown(f"how often it rotates is not known: {days.reason}", days)
    elif days.value is None:
        chk.require(FALSE, f"it does not rotate automatically; "
                           f"{ctx.requires('max_days', f'rotation at least every {limit} days')}", None, days)
    else:
        chk.require(days.le(limit), f"it rotates every {days.value} days; "
                                    f"{ctx.requires('max_days', f'at least every {limit} days')}", None, days)
    return chk.verdict(f"it rotates automatically every {days.value} days" if days.known and days.value is not None
                       else "it rotates automatically")
