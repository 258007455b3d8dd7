"""Alembic environment: monitor passes an open connection in `config.attributes["connection"]`."""

from alembic import context
from sqlalchemy import create_engine

from monitor.storage.schema import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Plain `alembic` command line (for writing new revisions): sqlalchemy.url from -x url=... or the ini.
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
