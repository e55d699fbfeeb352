"""How autogenerate writes column types into a new revision.

The models use type decorators (sqlmodel's AutoString, storage.types.UtcDateTime) that
only change what Python sees; the database holds their underlying type. A revision
names that plain SQLAlchemy type, so it imports no application module and keeps
working when those modules move or change.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic.autogenerate.api import AutogenContext
from sqlalchemy.types import TypeDecorator


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False  # alembic's own rendering
