"""Resource types that take a ``tags`` map.

A plan shows ``tags`` (null when unset) and ``tags_all`` for every taggable
resource because the provider schema says so; source has no schema, so an
unset ``tags`` would look like "not taggable" and TAG-01 would silently skip
the resource.  For these types the source adapter sets ``tags`` to null when
the block does not, exactly as the plan does.

The list is not written by hand: ``tagged`` in ``scanner/data/provider-types.json``
holds every managed resource type whose provider schema has a top-level
``tags`` attribute in the provider versions it names (facts read from
``terraform providers schema -json``; fixtures/_build/gen_provider_types.py).
"""
from __future__ import annotations

from .provider_types import tagged

TAGGABLE = tagged()
