"""The ``survey`` command.

    survey demo [--no-serve]     create or upgrade the database, seed the demo city, serve
    survey serve                 serve the platform (development server)
    survey db upgrade|downgrade|current|backup
    survey create-user           add a staff account
    survey maintain              delete expired unfinished answers, store held-back responses
                                 of closed campaigns (run daily from cron)
    survey worker [--once]       run background jobs (only needed with JOB_RUNNER=external)
    survey units import FILE --institution CODE
    survey campaign create|open|close|list
    survey invitations import|export|send|remind
    survey check TEXT_OR_LINK    is this message or link genuine? (exit 0: yes)
    survey export --campaign ID --out DIR [--format csv|xlsx|microdata]
    survey report --campaign ID [--unit CODE] --out FILE.pdf

Configuration problems, an unusable database and bad input end the command
with a one-line message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click
from alembic.util import CommandError as AlembicCommandError

from . import clock
from .config import ConfigError
from .database import DatabaseUnavailable

EXIT_USAGE = 2


class Refused(click.ClickException):
    """Bad input to a command: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"survey: error: {self.format_message()}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``argv``: the arguments, for tests)."""
    try:
        cli.main(args=argv, standalone_mode=False, prog_name="survey")
    except click.UsageError as exc:   # a missing argument, an unknown option or choice
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"survey: error: {exc.format_message()}{where}", err=True)
        sys.exit(EXIT_USAGE)
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
    """The application with a verified database connection. Its engine is
    disposed of when the command ends, also when the check below refuses, so
    that no pooled connection outlives the command (tests run commands in
    their own process, where an open psycopg connection left to the garbage
    collector fails a later test with a ResourceWarning)."""
    from . import create_app
    from .database import check_connection, current_revision, head_revision
    from .extensions import db

    app = create_app()
    click.get_current_context().call_on_close(app.extensions["survey.db"].dispose)
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
        from .services.tokens import LinkSeal

        result = seed_demo(db.session, today=clock.today(app.config["TIMEZONE"]),
                           seal=LinkSeal(app.config["SECRET_KEY"]))
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


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def db_backup(target: str) -> None:
    """Copy a SQLite database to TARGET while the platform runs (PostgreSQL: pg_dump)."""
    from .database import backup_sqlite
    from .extensions import db as database

    app = _app(require_schema=False)
    with app.app_context():
        size = backup_sqlite(database.engine, target)
    click.echo(f"Backed up to {target} ({size / 1e6:.1f} MB). Keep it with the same care as "
               "the database; SECRET_KEY is not in it.")


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


# -- running a campaign ----------------------------------------------------------


@contextmanager
def _database(*, english: bool = True):
    """The app's context and database session; the engine is closed after.
    Messages worded by the interface's catalogue come out in English."""
    from flask_babel import force_locale

    from .extensions import db as database

    app = _app()
    with app.app_context(), force_locale("en" if english else "id"):
        try:
            yield app, database.session
        finally:
            database.session.close()
            database.engine.dispose()


def _campaign(session, campaign_id: int):
    from .models import Campaign

    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise Refused(f"no campaign with id {campaign_id}")
    return campaign


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Refused(f"{path}: {exc.strerror}") from None


def _report_rows(problems) -> None:
    """Every refused row, one a line, on stderr (before the one-line error)."""
    from .i18n import problem_text

    for problem in problems:
        click.echo(f"  row {problem.row}: {problem_text(problem)}", err=True)


@cli.group()
def units() -> None:
    """Offices of an institution."""


@units.command("import")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--institution", "institution_code", required=True,
              help="Institution code; created if it does not exist.")
@click.option("--institution-name", default=None,
              help="Name of the institution when it is created (default: the code).")
def units_import(path: str, institution_code: str, institution_name: str | None) -> None:
    """Add and update offices from a CSV or XLSX file with the columns
    code, name, parent_code and optionally population_<group>. The whole
    file is checked first; nothing is written unless every row is clean."""
    from .services import units as unit_service
    from .services.spreadsheets import SpreadsheetError

    data = _read_file(path)
    with _database() as (_app_, session):
        try:
            institution = unit_service.institution(session, institution_code,
                                                   name=institution_name, commit=False)
            report = unit_service.import_units(session, institution, data, path)
        except (SpreadsheetError, unit_service.UnitError) as exc:
            raise Refused(f"{path}: {exc}") from None
        if not report.ok:
            session.rollback()
            _report_rows(report.problems)
            raise Refused(f"{path}: {len({p.row for p in report.problems})} rows refused; "
                          f"nothing was written")
    click.echo(f"{institution_code}: {report.created} offices added, {report.updated} updated.")


@cli.group()
def campaign() -> None:
    """Create, open, close and list campaigns."""


def _date(value: str, option: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refused(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


@campaign.command("create")
@click.option("--institution", "institution_code", required=True, help="Institution code.")
@click.option("--name", required=True)
@click.option("--period", default=None, help="Default: the year of the opening date.")
@click.option("--opens", required=True, metavar="YYYY-MM-DD")
@click.option("--closes", required=True, metavar="YYYY-MM-DD")
@click.option("--target", default=72.0, show_default=True, type=float)
@click.option("--instrument", "instrument_path", default=None, type=click.Path(dir_okay=False),
              help="Instrument file (YAML or JSON); default: the shipped spi-standard set.")
def campaign_create(institution_code, name, period, opens, closes, target, instrument_path):
    """Create a campaign in draft; prints its id."""
    from sqlalchemy import select

    import analysis

    from .models import Institution
    from .services import campaigns
    from .services.instruments import default_instrument_text, register_instrument

    opens_on, closes_on = _date(opens, "--opens"), _date(closes, "--closes")
    text = (_read_file(instrument_path).decode("utf-8", "replace") if instrument_path
            else default_instrument_text())
    with _database() as (_app_, session):
        institution = session.scalar(select(Institution).where(
            Institution.code == institution_code))
        if institution is None:
            raise Refused(f"no institution with code {institution_code!r}; import its "
                          f"offices first (survey units import)")
        try:
            fmt = "json" if (instrument_path or "").endswith(".json") else "yaml"
            version = register_instrument(session, text, fmt=fmt,
                                          source=instrument_path or "spi-standard.yaml",
                                          commit=False)
            created = campaigns.create(session, institution, name=name,
                                       period=period or str(opens_on.year), opens_on=opens_on,
                                       closes_on=closes_on, target=target, version=version)
        except analysis.InstrumentError as exc:
            raise Refused(str(exc).splitlines()[0]) from None
        except campaigns.CampaignError as exc:
            raise Refused(str(exc)) from None
        click.echo(f"Created campaign {created.id} ({created.name}), a draft.")


@campaign.command("open")
@click.argument("campaign_id", metavar="ID", type=int)
def campaign_open(campaign_id: int) -> None:
    """Open a draft campaign for answers."""
    from .services import campaigns

    with _database() as (app, session):
        found = _campaign(session, campaign_id)
        try:
            campaigns.open_campaign(session, found, today=clock.today(app.config["TIMEZONE"]))
        except campaigns.CampaignError as exc:
            raise Refused(f"campaign {campaign_id}: {exc}") from None
        click.echo(f"Campaign {campaign_id} is open.")


@campaign.command("close")
@click.argument("campaign_id", metavar="ID", type=int)
def campaign_close(campaign_id: int) -> None:
    """Close an open campaign and store its held-back responses."""
    from .services import campaigns

    with _database() as (_app_, session):
        found = _campaign(session, campaign_id)
        try:
            stored = campaigns.close_campaign(session, found)
        except campaigns.CampaignError as exc:
            raise Refused(f"campaign {campaign_id}: {exc}") from None
        click.echo(f"Campaign {campaign_id} is closed; stored {stored} held-back responses.")


@campaign.command("list")
@click.option("--institution", "institution_code", default=None,
              help="Only this institution's campaigns.")
def campaign_list(institution_code: str | None) -> None:
    """One campaign a line, tab-separated: id, name, status, opening date,
    closing date."""
    from sqlalchemy import select

    from .models import Institution
    from .services import campaigns

    with _database() as (_app_, session):
        institution_id = None
        if institution_code:
            institution_id = session.scalar(select(Institution.id).where(
                Institution.code == institution_code))
            if institution_id is None:
                raise Refused(f"no institution with code {institution_code!r}")
        for found in campaigns.of_institution(session, institution_id):
            name = " ".join(found.name.split())   # no tab or newline inside a field
            click.echo(f"{found.id}\t{name}\t{found.status.value}\t"
                       f"{found.opens_on.isoformat()}\t{found.closes_on.isoformat()}")


@cli.group()
def invitations() -> None:
    """Respondent lists and personal invitations."""


def _outreach(app):
    from .services.invitations import InvitationError, Outreach

    try:
        return Outreach.from_config(app.config)
    except InvitationError as exc:
        raise Refused(str(exc)) from None


@invitations.command("import")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--only-valid", is_flag=True,
              help="Import the clean rows even if others are refused.")
def invitations_import(campaign_id: int, path: str, only_valid: bool) -> None:
    """Import a respondent list (CSV or XLSX with the columns unit, group,
    name, phone, email; or unit, kelompok, nama, telepon, email) and create
    an invitation for each person. Names are optional and never needed."""
    from .services import invitations as invitation_service
    from .services import respondents
    from .services.spreadsheets import SpreadsheetError

    data = _read_file(path)
    with _database() as (app, session):
        found = _campaign(session, campaign_id)
        seal = _outreach(app).seal
        try:
            report = respondents.import_list(session, found, data, path,
                                             only_valid=only_valid, commit=False)
        except (SpreadsheetError, respondents.ListError) as exc:
            raise Refused(f"{path}: {exc}") from None
        _report_rows(report.problems)
        refused = len({p.row for p in report.problems})
        if refused and not only_valid:
            session.rollback()
            raise Refused(f"{path}: {refused} rows refused; nothing was imported "
                          f"(--only-valid imports the clean rows)")
        invited = invitation_service.invite_listed(session, found, seal=seal)
    click.echo(f"Imported {report.imported} people"
               f"{f' ({refused} rows refused)' if refused else ''}; created {invited} "
               f"invitations.")


@invitations.command("export")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--unit", "unit_code", default=None, help="Only this office (its code).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              metavar="FILE.csv")
def invitations_export(campaign_id: int, unit_code: str | None, out: str) -> None:
    """Write the invitations that may still be answered to a CSV for a blast
    tool (unit, group, phone, email, link, wa.me URL, message); they count as
    sent. The file holds personal links: keep it as safe as the list."""
    from sqlalchemy import select

    from .models import Unit
    from .services import sending

    with _database() as (app, session):
        found = _campaign(session, campaign_id)
        unit_id = None
        if unit_code:
            unit_id = session.scalar(select(Unit.id).where(
                Unit.institution_id == found.institution_id, Unit.code == unit_code))
            if unit_id is None:
                raise Refused(f"no office with code {unit_code!r} in this campaign's institution")
        outreach = _outreach(app)
        try:
            text, count = sending.export_csv(session, found, outreach, unit_id=unit_id,
                                             commit=False)
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except sending.SendingError as exc:
            raise Refused(f"campaign {campaign_id}: {exc}") from None
        except OSError as exc:
            raise Refused(f"{out}: {exc.strerror}") from None
        session.commit()
    click.echo(f"Wrote {count} invitations to {out}.")


def _send(campaign_id: int, via: str, dry_run: bool, kind: str) -> None:
    from .services import jobs, sending
    from .services.senders import BACKGROUND, NotConfigured, sender_for

    channel = BACKGROUND[via]
    with _database() as (app, session):
        found = _campaign(session, campaign_id)
        outreach = _outreach(app)
        try:
            sender_for(channel, app.config, dry_run=dry_run)
        except NotConfigured as exc:
            raise Refused(f"{exc}; --dry-run shows what would be sent") from None
        chosen = sending.candidates(session, found, channel, kind)
        if dry_run:
            click.echo(f"Dry run: would send {len(chosen)} {kind}s by {via}; nothing was sent.")
            if chosen:
                from .services.invitations import compose

                sample = compose(chosen[0], kind, outreach).text
                click.echo("The first one reads (its link masked):\n")
                click.echo(_masked(sample))
            return
        try:
            job = sending.request(session, found, channel, kind, base_url=outreach.base_url)
        except sending.SendingError as exc:
            raise Refused(f"campaign {campaign_id}: {exc}") from None
        if job is None:
            click.echo(f"Nobody to send {kind}s to by {via}.")
            return
        jobs.run_pending(session.get_bind(), config=app.config)
        counts = sending.job_counts(session, job.id)
    click.echo(f"{counts['sent']} sent, {counts['failed']} failed, "
               f"{counts['unknown']} unknown, {counts['queued']} still queued "
               f"(job {job.id}).")
    if counts["failed"] or counts["unknown"]:
        sys.exit(1)


def _masked(text: str) -> str:
    import re

    return re.sub(r"(/r/)[A-Za-z0-9_-]+", r"\1<link>", text)


@invitations.command("send")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--via", required=True, type=click.Choice(["whatsapp-cloud", "email"]))
@click.option("--dry-run", is_flag=True, help="Count and show the messages; send nothing.")
def invitations_send(campaign_id: int, via: str, dry_run: bool) -> None:
    """Send invitations not yet sent, as a background job run now. Exit 1
    if some failed or their fate is unknown (see the staff pages)."""
    _send(campaign_id, via, dry_run, "invitation")


@invitations.command("remind")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--via", required=True, type=click.Choice(["whatsapp-cloud", "email"]))
@click.option("--dry-run", is_flag=True, help="Count and show the messages; send nothing.")
def invitations_remind(campaign_id: int, via: str, dry_run: bool) -> None:
    """Remind those invited who have not answered yet (the platform knows
    only whether an invitation was used, never when or with which answers)."""
    _send(campaign_id, via, dry_run, "reminder")


@cli.command()
@click.argument("text", metavar="TEXT_OR_LINK")
def check(text: str) -> None:
    """Tell whether a message or link is a genuine link of this platform:
    exit 0 for a link to an open campaign, 1 otherwise, 2 for bad input.
    The same check as the public page /cek; it changes nothing."""
    from .services import verification

    with _database() as (app, session):
        official = verification.host_of(app.config["PUBLIC_BASE_URL"])
        if not official:
            raise Refused("set PUBLIC_BASE_URL (the platform's official address) to check "
                          "links against it")
        try:
            result = verification.check(session, text, official_host=official,
                                        today=clock.today(app.config["TIMEZONE"]))
        except ValueError as exc:
            raise Refused(str(exc)) from None
        from .i18n import verdict_text

        click.echo(f"{result.verdict.value}: {verdict_text(result.verdict)}")
        for finding in result.findings:
            where = (f" -> {finding.campaign} ({finding.institution}), {finding.office}, "
                     f"{finding.kind} link, open until {finding.closes_on.isoformat()}"
                     if finding.campaign else "")
            click.echo(f"  {finding.text}: {finding.verdict.value}{where}")
        senders = app.config["OFFICIAL_SENDERS"]
        if senders:
            click.echo(f"Official senders: {', '.join(senders)}")
    sys.exit(0 if result.genuine else 1)


# -- every number out: exports and reports -----------------------------------------


def _results_for(session, campaign):
    """The campaign's stored results; computed now when there are none."""
    from .services import results

    found = results.load(session, campaign.id)
    if found is None:
        click.echo("Computing the results first...", err=True)
        results.refresh(session, campaign.id)
        found = results.load(session, campaign.id)
    return found


def _write_bytes(path, content: bytes) -> None:
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".survey-", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        raise Refused(f"{path}: cannot write: {exc.strerror or exc}") from None


@cli.command("export")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), metavar="DIR",
              help="Folder to write into (created if missing).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "microdata"]),
              default="csv", show_default=True)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Headers of the XLSX workbook.")
@click.option("--free-text", is_flag=True,
              help="Microdata: include respondents' free texts (audit-logged).")
def export(campaign_id: int, out: str, fmt: str, lang: str, free_text: bool) -> None:
    """Write a campaign's numbers into DIR, as the staff pages offer them.

    \b
    csv        offices.csv, groups.csv, dimensions.csv (one row per office;
               per office and group; per office and dimension)
    xlsx       scores.xlsx, a sheet per table, readable headers (--lang)
    microdata  instrument.yaml, responses.csv, populations.csv,
               corrections.csv, results.json and README.md; then
               `python -m analysis score` (see README.md) reproduces
               every index, interval and status. Audit-logged.

    Example: survey export --campaign 3 --out spi-2026 --format microdata
    """
    import os

    from .services import exports, results

    with _database() as (app, session):
        campaign = _campaign(session, campaign_id)
        stored = _results_for(session, campaign)
        if fmt == "microdata":
            try:
                files = exports.microdata(session, stored, free_text=free_text)
            except exports.StaleResults:
                click.echo("New responses since the results were computed; computing them "
                           "again...", err=True)
                results.refresh(session, campaign.id)
                stored = results.load(session, campaign.id)
                files = exports.microdata(session, stored, free_text=free_text)
        else:
            tables = exports.score_tables(session, stored, None)
            if fmt == "csv":
                files = {f"{t.key}.csv": exports.table_csv(t) for t in tables}
            else:
                files = {"scores.xlsx": exports.tables_xlsx(tables, lang)}
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as exc:
            raise Refused(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
        for name, content in files.items():
            _write_bytes(os.path.join(out, name), content)
        if fmt == "microdata":
            exports.record_microdata(session, stored, actor=None, free_text=free_text,
                                     responses=stored.responses, via="command line")
            session.commit()
    click.echo(f"Wrote {', '.join(files)} to {out} (results computed "
               f"{stored.computed_at:%Y-%m-%d %H:%M} UTC).")


@cli.command("report")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Campaign id.")
@click.option("--unit", "unit_code", default=None,
              help="An office's code: its report; without it, the institution's.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              metavar="FILE.pdf")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
def report(campaign_id: int, unit_code: str | None, out: str, lang: str) -> None:
    """Write a PDF report: one office's (--unit CODE) or the institution's,
    the same as the staff pages' PDF, with nothing hidden.

    Example: survey report --campaign 3 --unit DISHUB --out dishub.pdf --lang en
    """
    from flask_babel import force_locale
    from sqlalchemy import select

    from .admin import printouts
    from .i18n import COOKIE
    from .models import Unit

    with _database() as (app, session):
        campaign = _campaign(session, campaign_id)
        unit = None
        if unit_code:
            unit = session.scalar(select(Unit).where(
                Unit.institution_id == campaign.institution_id, Unit.code == unit_code))
            if unit is None:
                raise Refused(f"no office with code {unit_code!r} in this campaign's "
                              f"institution")
        stored = _results_for(session, campaign)
        viewer = printouts.full_view()
        with app.test_request_context(headers={"Cookie": f"{COOKIE}={lang}"}), \
                force_locale(lang):
            content = (printouts.office_pdf(campaign, unit, viewer, stored) if unit
                       else printouts.institution_pdf(campaign, viewer, stored))
    _write_bytes(out, content)
    click.echo(f"Wrote {out} ({len(content):,} bytes).")
