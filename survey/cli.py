"""The ``survey`` command.

    survey demo [--no-serve]     create or upgrade the database, seed the demo city, serve
    survey serve                 serve the platform (development server)
    survey db upgrade|downgrade|current
    survey create-user           add a staff account
    survey maintain              delete expired unfinished answers, store held-back responses
                                 of closed campaigns (run daily from cron)
    survey worker [--once]       run background jobs (only needed with JOB_RUNNER=external)

Configuration problems and an unusable database end the command with a
one-line message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import click
from alembic.util import CommandError as AlembicCommandError

from . import clock
from .config import ConfigError
from .database import DatabaseUnavailable

EXIT_USAGE = 2


def main() -> None:
    """Console entry point."""
    try:
        cli.main(standalone_mode=False, prog_name="survey")
    except (ConfigError, DatabaseUnavailable) as exc:
        click.echo(f"survey: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except AlembicCommandError as exc:   # e.g. an unknown revision name
        click.echo(f"survey: error: {str(exc).splitlines()[0]}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("survey: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: keep the traceback for us, one line for the operator
        log_path = _write_crash_log()
        click.echo(
            f"survey: unexpected error: {type(exc).__name__}: {exc}"
            f"{f' (details in {log_path})' if log_path else ''}",
            err=True,
        )
        sys.exit(1)


def _write_crash_log() -> str | None:
    import os
    import traceback

    from .config import default_instance_path

    folder = os.environ.get("INSTANCE_PATH") or str(default_instance_path())
    path = os.path.join(folder, "survey-error.log")
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc() + "\n")
    except OSError:
        return None
    return path


@click.group(help="Integrity survey platform.")
def cli() -> None:
    pass


def _app(*, require_schema: bool = True):
    """The application with a verified database connection."""
    from . import create_app
    from .database import check_connection, current_revision, head_revision
    from .extensions import db

    app = create_app()
    with app.app_context():
        check_connection(db.engine)
        if require_schema and current_revision(db.engine) != head_revision():
            raise DatabaseUnavailable(
                "the database schema is not up to date; run `survey db upgrade` first"
            )
    return app


def _serve(app, host: str, port: int) -> None:
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    app.run(host=host, port=port, threaded=True, use_reloader=False, load_dotenv=False)


@cli.command()
@click.option("--no-serve", is_flag=True, help="Only create and seed the database.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(no_serve: bool, host: str, port: int) -> None:
    """Create or upgrade the database, seed the demo city, then serve."""
    from .database import upgrade
    from .extensions import db
    from .services.demo import seed_demo

    app = _app(require_schema=False)
    with app.app_context():
        upgrade(db.engine)
        click.echo("Seeding the demo city (Kota Harapan Jaya)...")
        result = seed_demo(db.session, today=clock.today(app.config["TIMEZONE"]))
    base = f"http://{host}:{port}"
    if result.created:
        click.echo(
            f"Created {result.responses:,} responses and {result.invitations:,} "
            f"invitations in two campaigns."
        )
        click.echo("\nStaff sign-in at " + base + "/staff/login (shown once, not stored):")
        for role, email, password in result.logins:
            click.echo(f"  {role:<13} {email:<38} {password}")
        click.echo("\nTry the questionnaire as an employee (personal links, usable once):")
        for unit, path in result.sample_links:
            click.echo(f"  {base}{path}   ({unit})")
        click.echo("\nAs a citizen (open links), for example:")
        for unit, path in result.open_links[:2]:
            click.echo(f"  {base}{path}   ({unit})")
    else:
        click.echo(
            "The demo data already exists; nothing was changed. Staff log-ins were "
            "printed on the first run; add one with `survey create-user`."
        )
    if not no_serve:
        click.echo("")
        _serve(app, host, port)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the platform with the development server (use gunicorn in production)."""
    _serve(_app(), host, port)


@cli.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema (default: to the newest revision)."""
    from .database import current_revision, upgrade
    from .extensions import db as database

    app = _app(require_schema=False)
    with app.app_context():
        upgrade(database.engine, revision)
        click.echo(f"Schema at revision {current_revision(database.engine)}.")


@db.command("downgrade")
@click.argument("revision", default="base")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision: str, yes: bool) -> None:
    """Downgrade the schema (default: remove every table; data is lost)."""
    from .database import current_revision, downgrade
    from .extensions import db as database

    app = _app(require_schema=False)
    if not yes:
        click.confirm(
            f"Downgrade the schema to {revision}? Data in removed tables is lost.", abort=True
        )
    with app.app_context():
        downgrade(database.engine, revision)
        click.echo(f"Schema at revision {current_revision(database.engine) or 'base (empty)'}.")


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from .database import current_revision, head_revision
    from .extensions import db as database

    app = _app(require_schema=False)
    with app.app_context():
        current = current_revision(database.engine)
    click.echo(f"{current or 'base (empty)'} (newest: {head_revision()})")


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default="", help="Display name (default: the email).")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "inspector", "unit_manager", "auditor"])
)
@click.option("--unit", "unit_code", default=None, help="Unit code; required for unit_manager.")
@click.option("--institution", "institution_code", default=None,
              help="Institution code, when several institutions use the unit code.")
@click.option(
    "--password",
    default=None,
    help="Default: generate one and print it once. Prefer the generated one: "
    "a password given here stays in the shell history.",
)
def create_user(
    email: str, name: str, role: str, unit_code: str | None, institution_code: str | None,
    password: str | None,
) -> None:
    """Add a staff account."""
    from .extensions import db as database
    from .services import staff

    app = _app()
    generated = password is None
    password = password or staff.generate_password()
    with app.app_context():
        try:
            user = staff.create_user(
                database.session,
                email=email,
                name=name,
                role=role,
                password=password,
                unit_code=unit_code,
                institution_code=institution_code,
            )
        except staff.StaffError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(f"Created {user.role.value} {user.email}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


@cli.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due, then stop.")
def worker(once: bool) -> None:
    """Run background jobs (sending, refreshing results) until stopped.

    Needed only with JOB_RUNNER=external; by default each app process runs
    jobs in a thread of its own. Several workers may run at once."""
    import threading

    from .worker import work

    app = _app()
    stop = threading.Event()
    if not once:
        click.echo("Running background jobs (Ctrl+C to stop)...")
    try:
        ran = work(app, stop=stop, once=once)
    except KeyboardInterrupt:
        stop.set()
        raise
    click.echo(f"Ran {ran} job{'s' if ran != 1 else ''}.")


@cli.command()
def maintain() -> None:
    """Daily housekeeping: expired unfinished answers, held-back responses."""
    from sqlalchemy import select

    from .extensions import db as database
    from .models import Campaign, CampaignStatus
    from .services import responding

    app = _app()
    today = clock.today(app.config["TIMEZONE"])
    with app.app_context():
        session = database.session
        purged = responding.purge_expired_progress(session, today=today)
        stored = 0
        for campaign in session.scalars(select(Campaign)).all():
            if campaign.status == CampaignStatus.CLOSED or campaign.closes_on < today:
                stored += responding.mix_pending(session, campaign.id, minimum=1)
    click.echo(
        f"Deleted {purged} expired unfinished answers; stored {stored} held-back "
        f"responses of ended campaigns."
    )
