"""Support programmes: who qualifies, who is enrolled per cycle, what they are paid, and complaints."""

from .disbursements import Batch, Channel, Disbursement, DisbursementState
from .grievances import Grievance, GrievanceEvent
from .programmes import Cycle, Enrolment, EntitlementKind, Programme

__all__ = [
    "Batch",
    "Channel",
    "Cycle",
    "Disbursement",
    "DisbursementState",
    "Enrolment",
    "EntitlementKind",
    "Grievance",
    "GrievanceEvent",
    "Programme",
]
