"""MSG: messages are never lost (seed 004 "SQS -> Lambda", seed 002 messaging with dead-letter queues)."""
from __future__ import annotations

from scanner.controls import Check, control
from scanner.values import FALSE

# SNS delivers to these protocols with retries and a redrive policy; email/SMS/application endpoints
# have no dead-letter queue (CONTROLS.md MSG-01)
REDRIVE_PROTOCOLS = ("sqs", "lambda", "http", "https")


@control("MSG-01", title="Queues and subscriptions send messages they cannot process to a dead-letter queue",
         family="MSG", severity="medium-high", soc2=["PI1.3", "A1.2"], kinds=("data_store", "subscription"),
         fields=("dead_letter",),
         requirement="Queues and subscriptions send the messages they cannot process to a dead-letter queue "
                     "(SQS redrive policy; SNS subscriptions of protocol sqs, lambda, http or https with a redrive "
                     "policy; Service Bus queues and subscriptions dead-letter expired messages). A queue that is "
                     "itself a dead-letter queue is not applicable.")
def msg_01(r, ctx):
    chk = Check()
    if r.has("protocol"):
        proto = r["protocol"]
        chk.see(proto)
        if not proto.known:
            chk.unknown(f"the subscription's protocol is not known, so whether it needs a dead-letter queue is not "
                        f"known: {proto.reason}", proto)
            return chk.verdict("")
        if str(proto.value).lower() not in REDRIVE_PROTOCOLS:
            return None   # email, SMS, application, firehose: no redrive policy exists
    source = r["dead_letter_source"] if r.has("dead_letter_source") else None
    if source is not None:
        t = source.truthy()
        if t.is_true:
            return None   # a dead-letter queue itself: not applicable
        chk.see(source)
    dl = r["dead_letter"]
    if not dl.known:
        chk.unknown(f"whether undeliverable messages go to a dead-letter queue is not known: {dl.reason}", dl)
    elif not dl.value:
        if source is not None and source.truthy().is_unknown:
            chk.unknown(f"it has no dead-letter queue, and whether it is itself one is not known: "
                        f"{source.truthy().reason}", dl)
        else:
            chk.require(FALSE, "messages it cannot deliver or process are not sent to a dead-letter queue", None, dl)
    else:
        chk.see(dl)
    target = dl.value if dl.known and isinstance(dl.value, str) else None
    return chk.verdict(f"undeliverable messages go to the dead-letter queue {target}" if target
                       else "undeliverable messages are dead-lettered")
