"""Alembic's environment for the store: run programmatically by scanner.store.migrate on the
connection it hands over (config.attributes["connection"]); no alembic.ini is involved."""
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
