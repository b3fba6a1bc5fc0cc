"""Tags that are one of several sets (``tags = merge(local.tags, cond ? {Name = x} : {})`` with the
condition not known): each set the source may give, made effective as ``normalize.resource_tags``
makes one (the AWS provider's default_tags under it), in a ``provider_versions.AnyOf``. TAG-01
judges every set and is decided only when they all give the same verdict."""
from __future__ import annotations

from ...values import Origin, Value
from .normalize import with_default_tags
from .provider_versions import AnyOf


def one_of(project, tf, provider: str | None, sets: tuple, reason: str, origin: Origin) -> Value:
    if (provider or tf.provider) != "aws":
        return AnyOf(reason, origin, [dict(s) for s in sets])
    defaults = project.default_tags(tf)
    return AnyOf(reason, origin, [with_default_tags(s, defaults) for s in sets])
