"""The consent form (every 42 CFR §2.31 element is a field), and revoking a consent or
marking it entered in error.

A missing element is named under its field as you type; whatever the service still
refuses on save (a deactivated recipient, an expiry before the signature) lands
under the same field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from casebook.services import consents
from casebook.services.consents import ConsentDetail, ConsentFields
from casebook.services.counselors import CounselorDetail
from ui.context import AppContext
from ui.form_parts import DateField
from ui.referral_parts import (
    AREA_CONSENT,
    CategoryChecks,
    FormDialog,
    compact_combo,
    date_problem,
    day,
    text_box,
)

#: The recipient picker's value for "a class of recipients, described in words".
CLASS_OF_RECIPIENTS = -1


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConsentForm", text)


class ConsentDialog(FormDialog):
    """Record a signed consent for one participant."""

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        prefill: ConsentFields,
        directory: list[CounselorDetail],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, _tr("Record a signed consent"), parent)
        self.setObjectName("consentDialog")
        self._participant_id = participant_id
        self.set_intro(
            _tr(
                "Copy each element from the signed form (42 CFR §2.31). A referral can rely "
                "on this consent only for the recipient and the categories of information "
                "ticked here, and only until it expires or is revoked."
            )
        )
        self.add_section(_tr("Who and what"))
        self.patient_name = QLineEdit(prefill.patient_name)
        self.add_field("patient_name", _tr("&Patient's name:"), self.patient_name)
        self.discloser = QLineEdit(prefill.discloser)
        self.discloser.setPlaceholderText(_tr("e.g. the peer support program's name"))
        self.add_field("discloser", _tr("&Who may disclose:"), self.discloser)
        self.information = text_box(3)
        self.information.setPlainText(prefill.information)
        self.information.setPlaceholderText(
            _tr("Specifically, e.g. 'name and contact details; substance use history'")
        )
        self.add_field("information", _tr("What &information:"), self.information)
        self.categories = CategoryChecks()
        self.categories.set_codes(prefill.information_categories)
        self.add_field("information_categories", _tr("Categories:"), self.categories)

        self.add_section(_tr("To whom and why"))
        self.recipient = compact_combo(QComboBox(), 40)
        self.recipient.addItem(_tr("A class of recipients (describe below)"), CLASS_OF_RECIPIENTS)
        for entry in directory:
            self.recipient.addItem(entry.description, entry.id)
        if prefill.recipient_counselor_id is not None:
            index = self.recipient.findData(prefill.recipient_counselor_id)
            self.recipient.setCurrentIndex(max(index, 0))
        self.add_field("recipient", _tr("&Recipient:"), self.recipient)
        self.recipient_description = QLineEdit(prefill.recipient_description)
        self.recipient_description.setPlaceholderText(
            _tr("For a class: name the organisation, e.g. 'counselors at Riverbend Clinic'")
        )
        self.add_field(
            "recipient_description", _tr("Recipient &described:"), self.recipient_description
        )
        self.purpose = text_box(2)
        self.purpose.setPlainText(prefill.purpose)
        self.add_field("purpose", _tr("P&urpose:"), self.purpose)
        self.revocation_statement = text_box(5)
        self.revocation_statement.setPlainText(prefill.revocation_statement)
        self.add_field("revocation_statement", _tr("Right to re&voke:"), self.revocation_statement)

        self.add_section(_tr("Expiry and signature"))
        self.expires_on = DateField()
        self.expires_on.set_date(prefill.expires_on)
        self.add_field("expires_on", _tr("E&xpires on:"), self.expires_on, ("expiration",))
        self.expiration_event = QLineEdit(prefill.expiration_event)
        self.expiration_event.setPlaceholderText(
            _tr("Or the event that ends it, e.g. 'discharge from the program'")
        )
        self.add_field("expiration_event", _tr("Or expires &when:"), self.expiration_event)
        self.signed_by = QLineEdit(prefill.signed_by)
        self.add_field("signed_by", _tr("&Signed by:"), self.signed_by)
        self.signer_relationship = QComboBox()
        for code, label in consents.relationship_labels().items():
            self.signer_relationship.addItem(label, code)
        index = self.signer_relationship.findData(prefill.signer_relationship)
        self.signer_relationship.setCurrentIndex(max(index, 0))
        self.add_field("signer_relationship", _tr("Signed &as:"), self.signer_relationship)
        self.signed_on = DateField()
        self.signed_on.set_date(prefill.signed_on)
        self.add_field("signed_on", _tr("&Date signed:"), self.signed_on)

        for name, line in (
            ("patient_name", self.patient_name),
            ("discloser", self.discloser),
            ("recipient_description", self.recipient_description),
            ("expiration_event", self.expiration_event),
            ("signed_by", self.signed_by),
        ):
            line.textChanged.connect(lambda _t, n=name: self.edited(n))
        for name, box in (
            ("information", self.information),
            ("purpose", self.purpose),
            ("revocation_statement", self.revocation_statement),
        ):
            box.textChanged.connect(lambda n=name: self.edited(n))
        self.categories.changed.connect(lambda: self.edited("information_categories"))
        self.recipient.currentIndexChanged.connect(lambda _i: self.edited("recipient"))
        self.signer_relationship.currentIndexChanged.connect(
            lambda _i: self.edited("signer_relationship")
        )
        self.expires_on.textChanged.connect(lambda _t: self.edited("expires_on"))
        self.signed_on.textChanged.connect(lambda _t: self.edited("signed_on"))
        self.save_button.setText(_tr("Save consent"))
        self.finish_setup()
        self.discloser.setFocus()

    def choose_recipient(self, counselor_id: int) -> None:
        index = self.recipient.findData(counselor_id)
        if index >= 0:
            self.recipient.setCurrentIndex(index)

    def values(self) -> dict[str, str]:
        return {
            "patient_name": self.patient_name.text().strip(),
            "discloser": self.discloser.text().strip(),
            "information": self.information.toPlainText().strip(),
            "information_categories": ",".join(self.categories.codes()),
            "recipient": str(self.recipient.currentData()),
            "recipient_description": self.recipient_description.text().strip(),
            "purpose": self.purpose.toPlainText().strip(),
            "revocation_statement": self.revocation_statement.toPlainText().strip(),
            "expires_on": self.expires_on.text(),
            "expiration_event": self.expiration_event.text().strip(),
            "signed_by": self.signed_by.text().strip(),
            "signer_relationship": str(self.signer_relationship.currentData()),
            "signed_on": self.signed_on.text(),
        }

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        """Each §2.31 element that is missing, named in the words of the form."""
        problems: dict[str, str] = {}
        missing = {
            "patient_name": _tr("the patient's name is missing; write it as on the signed form"),
            "discloser": _tr("say who may disclose (for example the program's name)"),
            "information": _tr("describe specifically what information may be disclosed"),
            "information_categories": _tr(
                "tick at least one category of information the consent allows"
            ),
            "purpose": _tr("the purpose of the disclosure is missing"),
            "revocation_statement": _tr("the statement of the right to revoke and how is missing"),
            "signed_by": _tr("say who signed (the participant or the person authorised to sign)"),
        }
        for name, text in missing.items():
            if not values[name]:
                problems[name] = text
        if values["recipient"] == str(CLASS_OF_RECIPIENTS) and not values["recipient_description"]:
            problems["recipient"] = _tr(
                "the recipient is missing: choose a counselor or organisation, or describe "
                "the class of recipients (including the organisation) below"
            )
        expiry = date_problem(values["expires_on"], required=False, what=_tr("expiry date"))
        if expiry:
            problems["expires_on"] = expiry
        elif not values["expires_on"] and not values["expiration_event"]:
            problems["expires_on"] = _tr(
                "the expiration is missing: give a date or the event on which it expires"
            )
        signed = date_problem(values["signed_on"], required=True, what=_tr("the date signed"))
        if signed:
            problems["signed_on"] = signed
        else:
            signed_on = date.fromisoformat(values["signed_on"])
            if signed_on > date.today():
                problems["signed_on"] = _tr("the date signed is in the future; check the date")
            elif (
                values["expires_on"]
                and not expiry
                and date.fromisoformat(values["expires_on"]) <= signed_on
            ):
                problems["expires_on"] = _tr("the expiry date is not after the date signed")
        return problems

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        recipient = int(values["recipient"])
        data = ConsentFields(
            patient_name=values["patient_name"],
            discloser=values["discloser"],
            information=values["information"],
            information_categories=tuple(
                c for c in values["information_categories"].split(",") if c
            ),
            recipient_counselor_id=None if recipient == CLASS_OF_RECIPIENTS else recipient,
            recipient_description=values["recipient_description"],
            purpose=values["purpose"],
            revocation_statement=values["revocation_statement"],
            expires_on=date.fromisoformat(values["expires_on"]) if values["expires_on"] else None,
            expiration_event=values["expiration_event"],
            signed_by=values["signed_by"],
            signer_relationship=values["signer_relationship"],
            signed_on=date.fromisoformat(values["signed_on"]),
        )
        participant_id = self._participant_id

        def save(session: Any, actor: Any) -> ConsentDetail:
            return consents.create_consent(session, actor, participant_id, data)

        return save

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_CONSENT, self._participant_id)


class RevokeConsentDialog(FormDialog):
    """The participant revoked the consent: from which day, and how."""

    def __init__(
        self, ctx: AppContext, consent: ConsentDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, _tr("Revoke consent"), parent)
        self.setObjectName("revokeConsentDialog")
        self._consent = consent
        self.set_intro(
            _tr(
                "The consent of {signed} to {recipient} stops counting from the revocation "
                "date. Disclosures already made under it stay on record."
            ).format(signed=day(consent.signed_on), recipient=consent.recipient)
        )
        self.on_date = DateField()
        self.on_date.set_date(date.today())
        self.add_field("revoked_on", _tr("Revoked &on:"), self.on_date)
        self.note = text_box(3)
        self.note.setPlaceholderText(_tr("How it was revoked, e.g. 'told me at today's meeting'"))
        self.add_field("note", _tr("&How:"), self.note, ("revocation_note",))
        self.on_date.textChanged.connect(lambda _t: self.edited("revoked_on"))
        self.note.textChanged.connect(lambda: self.edited("note"))
        self.save_button.setText(_tr("Revoke"))
        self.finish_setup()
        self.on_date.setFocus()

    def values(self) -> dict[str, str]:
        return {"revoked_on": self.on_date.text(), "note": self.note.toPlainText().strip()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        problem = date_problem(values["revoked_on"], required=True, what=_tr("the revocation date"))
        if problem:
            return {"revoked_on": problem}
        on = date.fromisoformat(values["revoked_on"])
        if on > date.today():
            return {"revoked_on": _tr("the revocation date is in the future")}
        if on < self._consent.signed_on:
            return {"revoked_on": _tr("the revocation date is before the date signed")}
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        consent_id, version = self._consent.id, self._consent.version
        on = date.fromisoformat(values["revoked_on"])
        note = values["note"]

        def revoke(session: Any, actor: Any) -> ConsentDetail:
            return consents.revoke_consent(
                session, actor, consent_id, on=on, note=note, expected_version=version
            )

        return revoke

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_CONSENT, self._consent.participant_id)


class ConsentEnteredInErrorDialog(FormDialog):
    """A consent recorded by mistake: kept, never counted again, with the reason."""

    def __init__(
        self, ctx: AppContext, consent: ConsentDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, _tr("Mark consent entered in error"), parent)
        self.setObjectName("consentErrorDialog")
        self._consent = consent
        self.set_intro(
            _tr(
                "The consent of {signed} to {recipient} stays in the record, marked entered "
                "in error, and no referral can rely on it. To correct a mistake, record the "
                "consent again as signed."
            ).format(signed=day(consent.signed_on), recipient=consent.recipient)
        )
        self.reason = text_box(3)
        self.add_field("reason", _tr("&Reason:"), self.reason)
        self.reason.textChanged.connect(lambda: self.edited("reason"))
        self.save_button.setText(_tr("Mark entered in error"))
        self.finish_setup()
        self.reason.setFocus()

    def values(self) -> dict[str, str]:
        return {"reason": self.reason.toPlainText().strip()}

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        if not values["reason"]:
            return {"reason": _tr("say why the consent was entered in error")}
        return {}

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        consent_id, version = self._consent.id, self._consent.version
        reason = values["reason"]

        def mark(session: Any, actor: Any) -> ConsentDetail:
            return consents.mark_consent_entered_in_error(
                session, actor, consent_id, reason=reason, expected_version=version
            )

        return mark

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_CONSENT, self._consent.participant_id)


__all__ = [
    "CLASS_OF_RECIPIENTS",
    "ConsentDialog",
    "ConsentEnteredInErrorDialog",
    "RevokeConsentDialog",
]
