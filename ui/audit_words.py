"""Audit events in words: one table for the Audit log page and the participant's
History tab, so an event reads the same on both."""

from __future__ import annotations

import json

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

# Marked for the translation tool; translated when shown (action_words). Codes not
# listed are shown as stored, made readable.
_ACTION_WORDS: dict[str, str] = {
    "login": str(QT_TRANSLATE_NOOP("audit", "Signed in")),
    "login_failed": str(QT_TRANSLATE_NOOP("audit", "Sign-in failed")),
    "logout": str(QT_TRANSLATE_NOOP("audit", "Signed out")),
    "lock": str(QT_TRANSLATE_NOOP("audit", "Locked the window")),
    "unlock": str(QT_TRANSLATE_NOOP("audit", "Unlocked the window")),
    "password_change": str(QT_TRANSLATE_NOOP("audit", "Changed password")),
    "password_reset": str(QT_TRANSLATE_NOOP("audit", "Reset a password")),
    "user_create": str(QT_TRANSLATE_NOOP("audit", "Created an account")),
    "user_update": str(QT_TRANSLATE_NOOP("audit", "Changed an account")),
    "print": str(QT_TRANSLATE_NOOP("audit", "Printed")),
    "export": str(QT_TRANSLATE_NOOP("audit", "Exported")),
    "audit_export": str(QT_TRANSLATE_NOOP("audit", "Exported the audit log")),
    "backup": str(QT_TRANSLATE_NOOP("audit", "Backup")),
    "restore": str(QT_TRANSLATE_NOOP("audit", "Restore")),
    "participant_view": str(QT_TRANSLATE_NOOP("audit", "Opened the record")),
    "participant_create": str(QT_TRANSLATE_NOOP("audit", "Intake")),
    "participant_update": str(QT_TRANSLATE_NOOP("audit", "Changed the profile")),
    "participant_discharge": str(QT_TRANSLATE_NOOP("audit", "Discharged")),
    "participant_readmit": str(QT_TRANSLATE_NOOP("audit", "Readmitted")),
    "participant_assign": str(QT_TRANSLATE_NOOP("audit", "Assigned")),
    "participant_transfer": str(QT_TRANSLATE_NOOP("audit", "Transferred")),
    "participant_unassign": str(QT_TRANSLATE_NOOP("audit", "Moved to the unassigned queue")),
    "participant_export": str(QT_TRANSLATE_NOOP("audit", "Exported")),
    "recovery_start_reset": str(QT_TRANSLATE_NOOP("audit", "New recovery start date")),
    "access_denied": str(QT_TRANSLATE_NOOP("audit", "Access refused")),
    "emergency_access": str(QT_TRANSLATE_NOOP("audit", "Emergency access")),
    "note_create": str(QT_TRANSLATE_NOOP("audit", "Note started")),
    "note_sign": str(QT_TRANSLATE_NOOP("audit", "Note signed")),
    "note_view": str(QT_TRANSLATE_NOOP("audit", "Note read")),
    "plan_view": str(QT_TRANSLATE_NOOP("audit", "Plan read")),
    "note_addendum": str(QT_TRANSLATE_NOOP("audit", "Addendum added")),
    "note_cosign": str(QT_TRANSLATE_NOOP("audit", "Note co-signed")),
    "note_discard": str(QT_TRANSLATE_NOOP("audit", "Draft discarded")),
    "note_entered_in_error": str(QT_TRANSLATE_NOOP("audit", "Note marked entered in error")),
    "note_list_view": str(QT_TRANSLATE_NOOP("audit", "Notes listed")),
    "plan_create": str(QT_TRANSLATE_NOOP("audit", "Plan started")),
    "plan_activate": str(QT_TRANSLATE_NOOP("audit", "Plan activated")),
    "plan_revise": str(QT_TRANSLATE_NOOP("audit", "Plan revision started")),
    "plan_discard": str(QT_TRANSLATE_NOOP("audit", "Plan draft discarded")),
    "plan_entered_in_error": str(QT_TRANSLATE_NOOP("audit", "Plan marked entered in error")),
    "plan_update": str(QT_TRANSLATE_NOOP("audit", "Plan changed")),
    "plan_goal_add": str(QT_TRANSLATE_NOOP("audit", "Goal added")),
    "plan_goal_update": str(QT_TRANSLATE_NOOP("audit", "Goal changed")),
    "plan_goal_remove": str(QT_TRANSLATE_NOOP("audit", "Goal removed")),
    "plan_step_add": str(QT_TRANSLATE_NOOP("audit", "Action step added")),
    "plan_step_done": str(QT_TRANSLATE_NOOP("audit", "Action step done")),
    "goal_rating_add": str(QT_TRANSLATE_NOOP("audit", "Progress rated")),
    "assessment_record": str(QT_TRANSLATE_NOOP("audit", "Assessment recorded")),
    "assessment_view": str(QT_TRANSLATE_NOOP("audit", "Assessment read")),
    "assessment_entered_in_error": str(
        QT_TRANSLATE_NOOP("audit", "Assessment marked entered in error")
    ),
    "consent_create": str(QT_TRANSLATE_NOOP("audit", "Consent recorded")),
    "consent_revoke": str(QT_TRANSLATE_NOOP("audit", "Consent revoked")),
    "consent_view": str(QT_TRANSLATE_NOOP("audit", "Consent read")),
    "consent_entered_in_error": str(QT_TRANSLATE_NOOP("audit", "Consent marked entered in error")),
    "consent_expiry_event": str(QT_TRANSLATE_NOOP("audit", "Consent expired")),
    "referral_create": str(QT_TRANSLATE_NOOP("audit", "Referral started")),
    "referral_update": str(QT_TRANSLATE_NOOP("audit", "Referral changed")),
    "referral_send": str(QT_TRANSLATE_NOOP("audit", "Referral sent")),
    "referral_status": str(QT_TRANSLATE_NOOP("audit", "Referral status changed")),
    "referral_follow_up": str(QT_TRANSLATE_NOOP("audit", "Follow-up date changed")),
    "referral_close": str(QT_TRANSLATE_NOOP("audit", "Referral closed")),
    "referral_view": str(QT_TRANSLATE_NOOP("audit", "Referral read")),
    "disclosure": str(QT_TRANSLATE_NOOP("audit", "Information disclosed")),
    "group_session_create": str(QT_TRANSLATE_NOOP("audit", "Group session started")),
    "report_print": str(QT_TRANSLATE_NOOP("audit", "Printed")),
}


def action_words(code: str) -> str:
    """The audit action *code* in words ("note_sign" -> "Note signed")."""
    words = _ACTION_WORDS.get(code)
    if words is not None:
        return QCoreApplication.translate("audit", words)
    return code.replace("_", " ").capitalize()


def details_text(raw: str) -> str:
    """An event's stored JSON details as "key: value" pairs (lists joined, empty values
    left out); any other text as it is."""
    if not raw:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return raw
    return "; ".join(
        f"{key.replace('_', ' ')}: "
        f"{', '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in data.items()
        if value not in ("", None, [])
    )
