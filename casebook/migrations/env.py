"""Alembic environment: always driven from casebook.schema with a live connection."""

from __future__ import annotations

from alembic import context

import models
from casebook.schema import include_object

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - misuse guard
    raise RuntimeError(
        "Casebook migrations run through 'casebook db init/upgrade', not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=models.Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
