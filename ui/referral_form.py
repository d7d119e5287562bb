"""The referral form: a new referral, a draft being edited, or an urgent referral
prefilled from a risk flag.

"Save draft" keeps the referral in the program. "Send" saves it and sends it in one
unit of work through the service's consent check: when no active consent covers the
recipient and every category shared, nothing is saved or disclosed, and the service's
message, naming exactly what is missing, appears under the consent field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from casebook.services import consents, referrals
from casebook.services.consents import ConsentDetail
from casebook.services.counselors import CounselorDetail, fold
from casebook.services.referrals import ReferralDetail, ReferralFields
from ui.context import AppContext
from ui.form_parts import info_box, ntr
from ui.icons import icon
from ui.referral_parts import (
    AREA_REFERRAL,
    CategoryChecks,
    FormDialog,
    compact_combo,
    day,
    text_box,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReferralForm", text)


def consent_choice_text(consent: ConsentDetail) -> str:
    """How a consent is offered on the referral form: date, recipient, status, expiry."""
    status = consents.status_labels().get(consent.status, consent.status)
    text = _tr("{signed} · to {recipient} · {status}").format(
        signed=day(consent.signed_on), recipient=consent.recipient, status=status
    )
    if consent.status == "active" and consent.expires_on:
        text += " " + _tr("until {d}").format(d=day(consent.expires_on))
    return text


def counselor_choice_text(entry: CounselorDetail) -> str:
    text = entry.description
    if not entry.accepting_new_clients:
        text += " — " + _tr("not accepting new clients")
    return text


class ReferralDialog(FormDialog):
    """New referral (``draft`` None) or a draft being edited; Save draft or Send."""

    def __init__(
        self,
        ctx: AppContext,
        participant_id: int,
        directory: list[CounselorDetail],
        participant_consents: list[ConsentDetail],
        *,
        draft: ReferralDetail | None = None,
        prefill: ReferralFields | None = None,
        hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        title = _tr("New referral") if draft is None else _tr("Edit draft referral")
        super().__init__(ctx, title, parent)
        self.setObjectName("referralDialog")
        self._participant_id = participant_id
        self._draft = draft
        self._directory = list(directory)
        self._consents = list(participant_consents)
        self._sending = False
        self._follow_up_edited = False
        if draft is not None:
            fields = ReferralFields(
                counselor_id=draft.counselor_id,
                reason=draft.reason,
                urgency=draft.urgency,
                information_shared=draft.information_shared,
                information_categories=draft.information_categories,
                consent_id=draft.consent_id,
            )
        else:
            fields = prefill or ReferralFields()
        self._missing_counselor: tuple[int, str] | None = None
        # A draft may point at an entry deactivated since; keep it visible.
        if (
            draft is not None
            and draft.counselor_id is not None
            and all(e.id != draft.counselor_id for e in self._directory)
        ):
            self._missing_counselor = (draft.counselor_id, draft.counselor_name)

        self.set_intro(
            _tr(
                "Nothing leaves the program until you send the referral. Sending needs an "
                "active consent that names the recipient and covers every category ticked."
            )
        )
        self.hint_box: QWidget | None = None
        if hint:
            self.hint_box = info_box(hint, "triangle-alert")
            self.outer.insertWidget(1, self.hint_box)

        self.counselor_search = QLineEdit()
        self.counselor_search.setPlaceholderText(_tr("Type to filter: name, specialty, language"))
        self.counselor_search.setClearButtonEnabled(True)
        self.counselor_search.setAccessibleName(_tr("Filter the directory"))
        self.counselor = compact_combo(QComboBox(), 30)
        picker = QWidget()
        row = QHBoxLayout(picker)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.counselor_search, 2)
        row.addWidget(self.counselor, 3)
        self._fill_counselors(fields.counselor_id)
        self.add_field("counselor", _tr("&Refer to:"), picker, marked=self.counselor)

        self.reason = text_box(3)
        self.reason.setPlainText(fields.reason)
        self.reason.setPlaceholderText(_tr("What the participant needs, in plain words"))
        self.add_field("reason", _tr("Rea&son:"), self.reason)

        self.urgency = QComboBox()
        for code, label in referrals.urgency_labels().items():
            self.urgency.addItem(label, code)
        self.urgency.setCurrentIndex(max(self.urgency.findData(fields.urgency), 0))
        self.add_field("urgency", _tr("&Urgency:"), self.urgency)

        self.follow_up_days = QSpinBox()
        self.follow_up_days.setRange(0, 90)
        self.follow_up_days.setValue(referrals.FOLLOW_UP_DAYS.get(fields.urgency, 7))
        self.follow_up_days.setAccessibleName(_tr("Follow up, days after sending"))
        self.follow_up_date = QLabel()
        self.follow_up_date.setProperty("role", "hint")
        follow = QWidget()
        follow_row = QHBoxLayout(follow)
        follow_row.setContentsMargins(0, 0, 0, 0)
        follow_row.addWidget(self.follow_up_days)
        follow_row.addWidget(self.follow_up_date, 1)
        self.add_field("follow_up_on", _tr("&Follow up:"), follow, marked=self.follow_up_days)

        self.categories = CategoryChecks()
        self.categories.set_codes(fields.information_categories)
        self.add_field("information_categories", _tr("Information shared:"), self.categories)
        self.information_shared = text_box(2)
        self.information_shared.setPlainText(fields.information_shared)
        self.information_shared.setPlaceholderText(
            _tr("Describe what goes to the recipient, e.g. 'contact details and the reason'")
        )
        self.add_field("information_shared", _tr("&Described:"), self.information_shared)

        self.consent = compact_combo(QComboBox(), 40)
        self.consent.addItem(_tr("Find a covering consent when sending"), None)
        for consent in self._consents:
            if consent.status != "entered-in-error":
                self.consent.addItem(consent_choice_text(consent), consent.id)
        self.consent.setCurrentIndex(max(self.consent.findData(fields.consent_id), 0))
        self.consent_note = QLabel()
        self.consent_note.setProperty("role", "hint")
        self.consent_note.setWordWrap(True)
        self.add_field("consent", _tr("&Consent relied on:"), self.consent)
        self.form.addRow("", self.consent_note)

        self.send_button = QPushButton(icon("send"), _tr("Se&nd"))
        self.send_button.setObjectName("sendReferralButton")
        self.buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.send_button.clicked.connect(self.send)
        self.save_button.setText(_tr("Save &draft"))
        self.save_button.setDefault(False)
        self.send_button.setDefault(True)

        self.counselor_search.textChanged.connect(self._filter_counselors)
        self.counselor.currentIndexChanged.connect(lambda _i: self.edited("counselor"))
        self.reason.textChanged.connect(lambda: self.edited("reason"))
        self.urgency.currentIndexChanged.connect(self._urgency_changed)
        self.follow_up_days.valueChanged.connect(self._follow_up_changed)
        self.categories.changed.connect(lambda: self.edited("information_categories"))
        self.information_shared.textChanged.connect(lambda: self.edited("information_shared"))
        self.consent.currentIndexChanged.connect(lambda _i: self.edited("consent"))
        self.finish_setup()
        self.reason.setFocus()

    # -- the counselor picker ------------------------------------------------------------

    def _fill_counselors(self, selected: int | None) -> None:
        words = fold(self.counselor_search.text()).split()
        self.counselor.blockSignals(True)
        self.counselor.clear()
        self.counselor.addItem(_tr("Choose a counselor or organisation…"), None)
        if self._missing_counselor is not None:
            cid, name = self._missing_counselor
            self.counselor.addItem(_tr("{name} (deactivated)").format(name=name), cid)
        for entry in self._directory:
            haystack = fold(
                " ".join(
                    (
                        entry.name,
                        entry.organisation,
                        entry.credentials,
                        entry.specialties,
                        entry.languages,
                    )
                )
            )
            if all(word in haystack for word in words) or entry.id == selected:
                self.counselor.addItem(counselor_choice_text(entry), entry.id)
                self.counselor.setItemData(
                    self.counselor.count() - 1,
                    ", ".join(entry.specialty_list + entry.language_list),
                    Qt.ItemDataRole.ToolTipRole,
                )
        index = self.counselor.findData(selected) if selected is not None else -1
        if index < 0 and words and self.counselor.count() == 2:
            index = 1  # one match: take it, so typing a name is enough
        self.counselor.setCurrentIndex(max(index, 0))
        self.counselor.blockSignals(False)

    def _filter_counselors(self, _text: str) -> None:
        current = self.counselor.currentData()
        self._fill_counselors(current)
        self.edited("counselor")

    def choose_counselor(self, counselor_id: int) -> bool:
        index = self.counselor.findData(counselor_id)
        if index >= 0:
            self.counselor.setCurrentIndex(index)
        return index >= 0

    def choose_consent(self, consent_id: int | None) -> bool:
        index = self.consent.findData(consent_id)
        if index >= 0:
            self.consent.setCurrentIndex(index)
        return index >= 0

    # -- urgency and follow-up -----------------------------------------------------------

    def _urgency_changed(self, _index: int) -> None:
        if not self._follow_up_edited:
            code = str(self.urgency.currentData())
            self.follow_up_days.blockSignals(True)
            self.follow_up_days.setValue(referrals.FOLLOW_UP_DAYS.get(code, 7))
            self.follow_up_days.blockSignals(False)
        self.edited("urgency")

    def _follow_up_changed(self, _value: int) -> None:
        self._follow_up_edited = True
        self.edited("follow_up_on")

    def follow_up_on(self) -> date:
        return date.today() + timedelta(days=self.follow_up_days.value())

    # -- values --------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        counselor = self.counselor.currentData()
        consent = self.consent.currentData()
        return {
            "counselor": "" if counselor is None else str(counselor),
            "reason": self.reason.toPlainText().strip(),
            "urgency": str(self.urgency.currentData()),
            "follow_up_days": str(self.follow_up_days.value()),
            "information_categories": ",".join(self.categories.codes()),
            "information_shared": self.information_shared.toPlainText().strip(),
            "consent": "" if consent is None else str(consent),
        }

    def refresh(self) -> None:
        super().refresh()
        if not hasattr(self, "send_button"):
            return
        self.send_button.setEnabled(not self.is_saving)
        days = ntr("ReferralForm", "%n day(s) after sending", self.follow_up_days.value())
        self.follow_up_date.setText(
            _tr("{days}: on {d} if sent today").format(days=days, d=day(self.follow_up_on()))
        )
        self._describe_consent()

    def _describe_consent(self) -> None:
        """Say, before sending, what the chosen consent does not cover (the service
        checks again on sending, and its message is the one that counts)."""
        consent_id = self.consent.currentData()
        chosen = next((c for c in self._consents if c.id == consent_id), None)
        self.categories.limit_to(chosen.information_categories if chosen else None)
        if chosen is None:
            self.consent_note.setText(
                _tr("On sending, the newest active consent that covers the referral is used.")
                if self._consents
                else _tr("No consent on file: record one on the Consents tab before sending.")
            )
            return
        gaps = [c for c in self.categories.codes() if c not in chosen.information_categories]
        notes = []
        if chosen.status != "active":
            notes.append(
                _tr("This consent is {s}.").format(
                    s=consents.status_labels()[chosen.status].lower()
                )
            )
        if chosen.recipient_counselor_id != self.counselor.currentData():
            # Informational: an organisation's consent may still cover its counselors.
            notes.append(_tr("It is for {to}.").format(to=chosen.recipient))
        if gaps:
            notes.append(
                _tr("It does not cover: {cats}.").format(cats=consents.format_categories(gaps))
            )
        self.consent_note.setText(" ".join(notes) or _tr("Covers every category ticked."))

    def _check(self, values: Mapping[str, str]) -> dict[str, str]:
        if not values["reason"]:
            return {"reason": _tr("the reason for the referral is missing")}
        return {}

    def can_save(self) -> bool:
        # A refusal by the consent check stays on show, but the draft can still be saved.
        return not self._errors

    # -- saving and sending --------------------------------------------------------------

    def send(self) -> None:
        self._sending = True
        self.save()
        if not self.is_saving:
            self._sending = False

    def _save_error(self, exc: BaseException) -> None:
        self._sending = False
        super()._save_error(exc)

    def _save_done(self, result: Any) -> None:
        self._sending = False
        super()._save_done(result)

    def _set_saving(self, saving: bool) -> None:
        super()._set_saving(saving)
        if hasattr(self, "send_button"):
            self.send_button.setEnabled(not saving)

    def _call(self, values: Mapping[str, str]) -> Callable[..., Any]:
        data = ReferralFields(
            counselor_id=int(values["counselor"]) if values["counselor"] else None,
            reason=values["reason"],
            urgency=values["urgency"],
            information_shared=values["information_shared"],
            information_categories=tuple(
                c for c in values["information_categories"].split(",") if c
            ),
            consent_id=int(values["consent"]) if values["consent"] else None,
        )
        participant_id = self._participant_id
        draft = self._draft
        send = self._sending
        follow_up_on = self.follow_up_on()

        def save(session: Any, actor: Any) -> ReferralDetail:
            if draft is None:
                saved = referrals.create_referral(session, actor, participant_id, data)
            else:
                saved = referrals.update_referral(
                    session, actor, draft.id, data, expected_version=draft.version
                )
            if not send:
                return saved
            # In the same unit of work: a refusal leaves nothing saved and nothing sent.
            return referrals.send_referral(session, actor, saved.id, follow_up_on=follow_up_on)

        return save

    def _after_save(self, result: Any) -> None:
        self._ctx.notify(AREA_REFERRAL, self._participant_id)


__all__ = ["ReferralDialog", "consent_choice_text", "counselor_choice_text"]
