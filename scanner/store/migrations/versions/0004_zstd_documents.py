"""Documents stored from this revision on are compressed with Zstandard (``documents.codec`` =
``zstd``); those stored before stay as they are (``xz``) and are read as before.

No table changes: the revision is there so that a specguard that cannot read Zstandard (its
newest revision is 0003) refuses the store as written by a newer specguard, up front, instead
of failing on the first such document it reads (``store get``, ``diff``, ``verify``).

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
