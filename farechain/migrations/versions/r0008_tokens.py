"""tokens: rider and company tokens expire

Revision 0008_tokens, after 0007_privacy;
written 2026-12-05.

`riders.token_expires_at` and `companies.token_expires_at`: a token signs in until then
(plumbing.tokens.token_refusal). Tokens issued before this revision get the default
lifetime from the upgrade on (30 days for riders, 365 for companies), so no one is
signed out by the upgrade and no token is left without an end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008_tokens"
down_revision = "0007_privacy"
branch_labels = None
depends_on = None

_LIFETIMES = (("riders", timedelta(days=30)), ("companies", timedelta(days=365)))


def upgrade() -> None:
    now = datetime.now(UTC)
    for table, lifetime in _LIFETIMES:
        # A database adopted from before migrations was made by create_all from the
        # models of its day; one made from these models has the column already.
        present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
        if "token_expires_at" not in present:
            with op.batch_alter_table(table) as batch:
                batch.add_column(sa.Column("token_expires_at", sa.DateTime(timezone=True)))
        expires = sa.column("token_expires_at", sa.DateTime(timezone=True))
        rows = sa.table(table, expires)
        op.execute(rows.update().where(expires.is_(None)).values(token_expires_at=now + lifetime))


def downgrade() -> None:
    for table, _ in _LIFETIMES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("token_expires_at")
