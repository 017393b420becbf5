"""SQLAlchemy 2.0 models. Importing this package registers every table on
``Base.metadata`` (which Alembic compares against the migrations)."""

from .api import ApiToken, DeliveryState, Webhook, WebhookDelivery
from .base import Base
from .campaign import (
    Campaign,
    CampaignStatus,
    Candidate,
    CandidateStatus,
    Correction,
    OpenLink,
    OpenLinkExclusion,
)
from .instrument import InstrumentVersion
from .invitation import (
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    Invitation,
    ListEntry,
)
from .job import Job, JobStatus
from .organisation import Institution, Unit, UnitPopulation
from .report import CitizenReport, ReportCategory, ReportPhoto, ReportStatus, ReportStep
from .response import Channel, PartialAnswer, PendingResponse, Response, UsedStart
from .results import CampaignResult, ImprovementAction, PasswordReset
from .staff import AuditEntry, Role, StaffUser

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Campaign",
    "CampaignResult",
    "CampaignStatus",
    "Candidate",
    "CandidateStatus",
    "Channel",
    "CitizenReport",
    "Correction",
    "Delivery",
    "DeliveryState",
    "DeliveryChannel",
    "DeliveryKind",
    "DeliveryStatus",
    "ImprovementAction",
    "Institution",
    "InstrumentVersion",
    "Invitation",
    "Job",
    "JobStatus",
    "ListEntry",
    "OpenLink",
    "OpenLinkExclusion",
    "PartialAnswer",
    "PasswordReset",
    "PendingResponse",
    "ReportCategory",
    "ReportPhoto",
    "ReportStatus",
    "ReportStep",
    "Response",
    "Role",
    "StaffUser",
    "Unit",
    "UnitPopulation",
    "UsedStart",
    "Webhook",
    "WebhookDelivery",
]
