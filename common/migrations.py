"""Alembic for the PostgreSQL services: each keeps its scripts in ``<service>/migrations``.

``python -m common.migrations upgrade auth`` migrates auth's database as
config.yaml (and its environment variables) names it; ``downgrade auth -r -1``,
``history auth`` and ``current auth`` do what Alembic's commands of those
names do. Alembic's own CLI works too, with alembic.ini: ``alembic -n auth ...``.
"""

import argparse

from alembic import command
from alembic.config import Config

from common.config import ROOT, load_config

SQL_SERVICES = ("auth", "users", "coaching", "events")


def alembic_config(service, url):
    config = Config()
    config.set_main_option("script_location", str(ROOT / service / "migrations"))
    # ConfigParser treats % as interpolation; URLs may contain escaped chars.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def database_url(service, config=None):
    config = config or load_config()
    return config["DB_URIS"][f"{service}:Base"]


def upgrade(service, url=None, revision="head"):
    command.upgrade(alembic_config(service, url or database_url(service)), revision)


def downgrade(service, revision, url=None):
    command.downgrade(alembic_config(service, url or database_url(service)), revision)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["upgrade", "downgrade", "history", "current"])
    parser.add_argument("services", nargs="*", choices=[[], *SQL_SERVICES], default=list(SQL_SERVICES))
    parser.add_argument("-r", "--revision", help="target revision (upgrade: head; downgrade: required, e.g. -1)")
    args = parser.parse_args(argv)
    if args.action == "downgrade" and not args.revision:
        parser.error("downgrade needs --revision (e.g. -r -1, or -r base)")
    for service in args.services:
        config = alembic_config(service, database_url(service))
        if args.action == "upgrade":
            command.upgrade(config, args.revision or "head")
            print(f"{service}: migrated to {args.revision or 'head'}")
        elif args.action == "downgrade":
            command.downgrade(config, args.revision)
            print(f"{service}: downgraded to {args.revision}")
        elif args.action == "history":
            print(f"{service}:")
            command.history(config)
        else:
            print(f"{service}:")
            command.current(config)


if __name__ == "__main__":
    main()


def run_migrations(target_metadata):
    """The body of every service's ``migrations/env.py``."""
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    if not config.get_main_option("sqlalchemy.url"):
        # Alembic's own CLI (alembic.ini, -n <service>): the URL is the one the service itself uses.
        config.set_main_option("sqlalchemy.url", database_url(config.config_ini_section).replace("%", "%%"))
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
        )
        with context.begin_transaction():
            context.run_migrations()
