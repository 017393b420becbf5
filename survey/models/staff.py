"""Staff accounts and the audit log of what they did."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Base, JSONDocument, enum_column, utcnow
from .organisation import Institution, Unit


class Role(enum.StrEnum):
    ADMIN = "admin"  # runs the platform: users, campaigns, instruments
    INSPECTOR = "inspector"  # the inspectorate's analysts: every unit's results
    UNIT_MANAGER = "unit_manager"  # head of an office: own unit only
    AUDITOR = "auditor"  # read-only: results, exports, audit log


class StaffUser(UserMixin, Base):
    """A person who signs in: inspectorate staff, unit heads, auditors.

    Scope: every account belongs to one institution and sees nothing of
    another; only an administrator may have none, which makes them the
    platform's administrator (every institution, e.g. the first account of
    a new installation, before any institution exists). A unit manager also
    has a unit and sees it and the units below it.
    """

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint(
            "role <> 'unit_manager' OR unit_id IS NOT NULL", name="unit_manager_has_unit"
        ),
        CheckConstraint(
            "role = 'unit_manager' OR unit_id IS NULL", name="only_unit_managers_have_a_unit"
        ),
        CheckConstraint(
            "role = 'admin' OR institution_id IS NOT NULL", name="scoped_to_an_institution"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    # None only for a platform administrator (see the class docstring).
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    # The unit (and its sub-units) a unit manager may see; None for others
    # (both ways a CHECK of the database).
    # RESTRICT: a unit with a head of office cannot be deleted from under
    # them (SET NULL would break the unit_manager_has_unit rule).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie's user id: raising it ends every session
    # of the account (services.staff.end_sessions).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    institution: Mapped[Institution | None] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def get_id(self) -> str:
        """What a session cookie keeps: the id and the session generation."""
        return f"{self.id}.{self.session_generation or 0}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class AuditEntry(Base):
    """Something a staff member did (never something a respondent did).

    Written through :mod:`survey.services.audit`. ``institution_id`` says
    whose log it belongs to (None: the platform's own, e.g. a sign-in
    attempt for an unknown account)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSONDocument)

    actor: Mapped[StaffUser | None] = relationship()
