"""The inspected organisation: an institution and its tree of units."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Institution(Base):
    """A government (a city, a province, a ministry) whose units are surveyed."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    units: Mapped[list[Unit]] = relationship(back_populates="institution", order_by="Unit.code")


class Unit(Base):
    """An office of the institution (a Dinas, a hospital, a district), the
    level at which the integrity index is reported. Units form a tree."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("institution_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    institution: Mapped[Institution] = relationship(back_populates="units")
    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    populations: Mapped[list[UnitPopulation]] = relationship(
        back_populates="unit", cascade="all, delete-orphan"
    )

    def population(self, group: str) -> int | None:
        """The frame size N of one respondent group, or None if unknown."""
        for row in self.populations:
            if row.respondent_group == group:
                return row.population
        return None


class UnitPopulation(Base):
    """How many people a unit has in one respondent group (staff, yearly
    service users, experts): the N of the finite population correction."""

    __tablename__ = "unit_population"
    __table_args__ = (CheckConstraint("population > 0", name="population_positive"),)

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    respondent_group: Mapped[str] = mapped_column(String(40), primary_key=True)
    population: Mapped[int]

    unit: Mapped[Unit] = relationship(back_populates="populations")
