"""ACME's controls written in Python, with the same API as specguard's own rules."""
from scanner.rules_api import Check, control


@control("ACME-DB-02", title="Production databases are not publicly accessible", family="ACME",
         severity="high", soc2=["CC6.6"], kinds=("database",), fields=("publicly_accessible",),
         params={"environment_tag": "Environment"})
def acme_db_02(r, ctx):
    chk = Check()
    public = r["publicly_accessible"]
    chk.require(~public.truthy(), "the database is reachable from the internet",
                "whether the database is reachable from the internet is not known", public)
    return chk.verdict("the database is not publicly accessible")
