"""Extensions, created unbound and bound to an app by ``init_app``."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .clients import client_key
from .database import make_engine


class Database:
    """SQLAlchemy for Flask, in a dozen lines: one engine per app, one session
    per application context, closed (and rolled back if uncommitted) when the
    context ends. Services receive the session and commit once."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["survey.db"] = engine
        app.teardown_appcontext(self._close_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["survey.db"]

    @property
    def session(self) -> Session:
        session = g.get("_db_session")
        if session is None:
            session = g._db_session = Session(self.engine, expire_on_commit=False)
        return session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            session.close()


db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
#: Rate limits (Flask-Limiter): per client key (survey/clients.py), stored in
#: Redis when REDIS_URL is set so that every app process shares them, else
#: in the process's memory. Views add their own limits with ``limiter.limit``.
limiter = Limiter(key_func=client_key)
