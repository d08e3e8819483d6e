"""Alembic environment: the project's tables only, URL from the project settings."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Optional

from alembic import context

from clinic.db import make_engine
from clinic.models import Base
from clinic.models import console as console_models  # noqa: F401  (registers the console's tables)
from clinic.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

OWN_TABLES = set(Base.metadata.tables)


def include_name(name: Optional[str], type_: str, _: Any) -> bool:
    """Leave Rasa's tables (``events``) alone when comparing schemas."""
    return type_ != "table" or name in OWN_TABLES


def database_url() -> str:
    """``-x url=...`` on the command line, else the settings (``DATABASE_URL``)."""
    return str(context.get_x_argument(as_dictionary=True).get("url") or get_settings().database_url)


def run_migrations_offline() -> None:
    """Emit SQL without a connection (``alembic upgrade head --sql``)."""
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True,
                      include_name=include_name, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      include_name=include_name, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
