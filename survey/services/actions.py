"""Improvement actions: what an institution advises its offices to do about
each dimension, shown on the office page beside the weakest dimensions.

Each institution keeps its own text per dimension; until it writes one,
the platform's default (below, after KPK's usual recommendations) is shown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import clock
from survey.models import ImprovementAction, StaffUser

from . import audit

#: Longest text kept for one dimension.
MAX_LENGTH = 2000

#: Defaults per SPI dimension, in Bahasa Indonesia and English.
DEFAULT_ACTIONS: dict[str, dict[str, str]] = {
    "transparansi": {
        "id": "Pasang standar pelayanan, biaya resmi dan waktu penyelesaian di loket dan di "
              "situs web; sediakan informasi publik tanpa harus diminta.",
        "en": "Publish service standards, official fees and service times at the counter and "
              "on the website; make public information available without a request.",
    },
    "integritas_tugas": {
        "id": "Terapkan antrean daring dan pembayaran non-tunai untuk memutus calo dan "
              "pungli; wajibkan pelaporan gratifikasi dan tindak lanjuti setiap laporan.",
        "en": "Introduce an online queue and cashless payment against brokers and illegal "
              "levies; require gratuities to be reported and follow up every report.",
    },
    "pbj": {
        "id": "Lakukan seluruh pengadaan melalui e-procurement dengan catatan yang dapat "
              "diperiksa; umumkan pemenang dan nilai kontrak; susun HPS secara terbuka.",
        "en": "Run all procurement through e-procurement with records that can be checked; "
              "publish winners and contract values; set owner's estimates openly.",
    },
    "sdm": {
        "id": "Jalankan rekrutmen dan promosi secara terbuka berbasis merit; lakukan rotasi "
              "berkala pada jabatan rawan; umumkan hasil seleksi.",
        "en": "Recruit and promote openly on merit; rotate staff in exposed posts regularly; "
              "publish selection results.",
    },
    "trading_influence": {
        "id": "Catat setiap permintaan atau intervensi pihak luar atas izin dan rekomendasi "
              "teknis; putuskan berdasarkan kriteria tertulis yang diumumkan.",
        "en": "Record every outside request or intervention on permits and technical "
              "recommendations; decide on written, published criteria.",
    },
    "anggaran": {
        "id": "Verifikasi perjalanan dinas dan honorarium dengan bukti; umumkan realisasi "
              "anggaran; perkuat pengawasan internal atas belanja.",
        "en": "Verify official travel and honoraria against evidence; publish budget "
              "realisation; strengthen internal control of spending.",
    },
    "sosialisasi": {
        "id": "Sosialisasikan saluran pengaduan (whistleblowing) dan perlindungan pelapor "
              "kepada pegawai dan pengguna layanan; pasang informasinya di loket.",
        "en": "Make the complaint (whistleblowing) channel and whistleblower protection known "
              "to staff and service users; post the information at the counter.",
    },
}


class ActionError(ValueError):
    """An improvement action that cannot be saved (one-line message)."""


def actions_of(session: Session, institution_id: int) -> dict[str, str]:
    """The institution's own texts, per dimension."""
    return dict(session.execute(
        select(ImprovementAction.dimension, ImprovementAction.text)
        .where(ImprovementAction.institution_id == institution_id)).all())


def save_actions(session: Session, institution_id: int, texts: dict[str, str], *,
                 dimensions: tuple[str, ...], actor: StaffUser) -> list[str]:
    """Store the institution's texts; an empty text returns the dimension
    to the platform's default. Commits; returns the dimensions changed.

    Raises
    ------
    ActionError
        An unknown dimension, or a text longer than :data:`MAX_LENGTH`.
    """
    rows = {row.dimension: row for row in session.scalars(
        select(ImprovementAction).where(ImprovementAction.institution_id == institution_id))}
    changed = []
    for dimension, text in texts.items():
        if dimension not in dimensions:
            raise ActionError(f"unknown dimension {dimension!r}")
        text = (text or "").strip().replace("\r\n", "\n")
        if len(text) > MAX_LENGTH:
            raise ActionError(f"{dimension}: at most {MAX_LENGTH} characters "
                              f"({len(text)} given)")
        row = rows.get(dimension)
        if not text:
            if row is not None:
                session.delete(row)
                changed.append(dimension)
            continue
        if row is not None and row.text == text:
            continue
        if row is None:
            row = ImprovementAction(institution_id=institution_id, dimension=dimension)
            session.add(row)
        row.text, row.updated_at, row.updated_by_id = text, clock.now(), actor.id
        changed.append(dimension)
    if changed:
        session.flush()
        audit.record(session, "actions.update", actor=actor,
                     target=f"institution {institution_id}",
                     detail={"dimensions": changed}, institution_id=institution_id)
    session.commit()
    return changed
