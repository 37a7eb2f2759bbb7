"""The activity report's vocabulary: its formats, its kinds of activity and their labels.

The report is read by people (an unemployment agency, an outplacement sponsor), so both
formats show labels, not codes.
"""

from enum import StrEnum

from app.models.enums import InteractionKind, RoleAtCompany


class ReportFormat(StrEnum):
    csv = "csv"
    html = "html"


class ActivityType(StrEnum):
    outreach_sent = "outreach_sent"
    outreach_response = "outreach_response"
    informational_interview = "informational_interview"
    job_interview = "job_interview"
    meeting = "meeting"
    call = "call"
    email = "email"
    linkedin_message = "linkedin_message"
    thank_you = "thank_you"
    intro_request = "intro_request"


ACTIVITY_LABELS: dict[ActivityType, str] = {
    ActivityType.outreach_sent: "Outreach sent",
    ActivityType.outreach_response: "Outreach answered",
    ActivityType.informational_interview: "Informational interview",
    ActivityType.job_interview: "Job interview",
    ActivityType.meeting: "Meeting",
    ActivityType.call: "Call",
    ActivityType.email: "Email",
    ActivityType.linkedin_message: "LinkedIn message",
    ActivityType.thank_you: "Thank-you note",
    ActivityType.intro_request: "Introduction request",
}

# The summary counts meetings, not their steps: each interview once, when it was held.
HELD_LABELS: dict[ActivityType, str] = {
    ActivityType.informational_interview: "Informational interviews held",
    ActivityType.job_interview: "Job interviews held",
}

ROLE_LABELS: dict[RoleAtCompany, str] = {
    RoleAtCompany.hiring_manager: "Hiring manager",
    RoleAtCompany.peer: "Peer",
    RoleAtCompany.hr: "HR",
    RoleAtCompany.recruiter: "Recruiter",
    RoleAtCompany.executive: "Executive",
    RoleAtCompany.other: "Other",
}

# Hand-logged interactions that count as activity; a `note` is not a touch.
INTERACTION_ACTIVITIES: dict[InteractionKind, ActivityType] = {
    InteractionKind.meeting: ActivityType.meeting,
    InteractionKind.call: ActivityType.call,
    InteractionKind.email: ActivityType.email,
    InteractionKind.linkedin_message: ActivityType.linkedin_message,
    InteractionKind.thank_you: ActivityType.thank_you,
    InteractionKind.intro_request: ActivityType.intro_request,
}
