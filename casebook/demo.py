"""Synthetic demo data: ``casebook demo seed`` and ``casebook --demo``.

Builds a realistic clinic: staff, participants with names from many languages,
a year of session notes, recovery plans, consents, referrals and outcome
measures. Nothing here describes a real person.

Three properties drive the design:

* Reproducible: one seeded ``random.Random`` makes every choice and every time
  is derived from ``today``, so the same seed, size and day give the same
  database (tests and bug reports can rely on "seed 3, 200 participants").
* Fast: 10,000 participants mean about 200,000 notes and 600,000 rows in all.
  Rows are built as plain dicts with ids allocated here, so children point at
  parents without a flush, and written in chunks with ``executemany``, parents
  first; the ORM unit of work is never involved. On SQLite the values are
  converted up front and the full-text index is built once at the end.
* Consistent with the services: signed notes carry the notes service's own
  content hash (so ``db check`` accepts them), referrals move along the
  referral service's status table with a consent that covers them, and
  consent categories use the consent service's codes.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, Date, DateTime, Table, func, insert, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from casebook import demo_names as names
from casebook.errors import CasebookError, ValidationError
from casebook.i18n import tr
from casebook.measures import score
from casebook.security import audit
from casebook.services.consents import (
    CATEGORY_DESCRIPTIONS,
    INFORMATION_CATEGORIES,
    STANDARD_REVOCATION_STATEMENT,
    format_categories,
)
from casebook.services.counselors import describe_counselor

# The notes service's own hashing, so that demo notes pass the same integrity
# check (``db check``) as notes signed in the window.
from casebook.services.notes import addendum_hash, content_digest, note_payload
from models import Base, Participant, StaffUser
from models.base import UTCDateTime

MAX_PARTICIPANTS = 200_000
PARTICIPANTS_PER_SPECIALIST = 40
MAX_SPECIALISTS = 300
# Participants generated between two flushes: about 4,000 notes per insert,
# large enough to amortise statement overhead, small enough to keep memory flat
# and progress reports frequent.
CHUNK_PARTICIPANTS = 200
# SQLite page cache while seeding (KiB, negative = size rather than pages). The
# default 2 MB cache makes every insert into the note indexes and the full-text
# index re-read and re-decrypt pages; the previous value is restored afterwards.
_SQLITE_SEED_CACHE_KIB = 256 * 1024
# The full-text index over session_note.body and its insert trigger (migration 0002).
_FTS_TABLE = "note_fts"
_FTS_INSERT_TRIGGER = "note_fts_ai"
# Measured averages per participant at the default volume (seed 1): notes of real
# contacts, and outreach plus group notes. Used only to honour seed_demo(notes=).
_CONTACT_NOTES_PER_PARTICIPANT = 17.8
_OTHER_NOTES_PER_PARTICIPANT = 3.0

Row = dict[str, Any]
T = TypeVar("T")


def specialist_count(participants: int) -> int:
    """How many peer specialists a demo of *participants* gets (about 40 each)."""
    return min(MAX_SPECIALISTS, max(2, math.ceil(participants / PARTICIPANTS_PER_SPECIALIST)))


@dataclass(frozen=True)
class SeedSummary:
    """What ``seed_demo`` wrote, per table, and the accounts it created."""

    users: int
    participants: int
    case_assignments: int
    recovery_start_changes: int
    recovery_plans: int
    plan_supports: int
    goals: int
    goal_ratings: int
    action_steps: int
    session_notes: int
    note_goals: int
    note_addenda: int
    group_sessions: int
    assessments: int
    counselors: int
    consents: int
    referrals: int
    referral_events: int
    disclosures: int
    usernames: tuple[str, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "usernames"}

    def describe(self) -> str:
        return tr(
            "{users} staff accounts, {participants} participants, {notes} session notes, "
            "{plans} recovery plans, {referrals} referrals, {consents} consents, "
            "{assessments} assessments"
        ).format(
            users=self.users,
            participants=self.participants,
            notes=self.session_notes,
            plans=self.recovery_plans,
            referrals=self.referrals,
            consents=self.consents,
            assessments=self.assessments,
        )


# Parents before children: foreign keys are checked row by row as inserts run.
_TABLE_ORDER = (
    "staff_user",
    "counselor",
    "group_session",
    "participant",
    "case_assignment",
    "recovery_start_change",
    "recovery_plan",
    "plan_support",
    "goal",
    "goal_rating",
    "action_step",
    "session_note",
    "note_goal",
    "note_addendum",
    "assessment",
    "consent",
    "referral",
    "referral_event",
    "disclosure",
)
_SUMMARY_FIELDS = {
    "staff_user": "users",
    "participant": "participants",
    "case_assignment": "case_assignments",
    "recovery_start_change": "recovery_start_changes",
    "recovery_plan": "recovery_plans",
    "plan_support": "plan_supports",
    "goal": "goals",
    "goal_rating": "goal_ratings",
    "action_step": "action_steps",
    "session_note": "session_notes",
    "note_goal": "note_goals",
    "note_addendum": "note_addenda",
    "group_session": "group_sessions",
    "assessment": "assessments",
    "counselor": "counselors",
    "consent": "consents",
    "referral": "referrals",
    "referral_event": "referral_events",
    "disclosure": "disclosures",
}


class _Rng(random.Random):
    """``random.Random`` with cheaper integer choices.

    The standard methods draw rejection-sampled bits through several Python
    calls each; seeding a clinic makes millions of these draws. Scaling one
    ``random()`` float has a bias far below anything synthetic data can show,
    and is just as reproducible for a given seed.
    """

    def choice(self, seq: Sequence[T]) -> T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + step * int(self.random() * ((stop - start + step - 1) // step))


class _Weighted(Generic[T]):
    """A weighted choice with the cumulative weights computed once."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: _Rng) -> T:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


# ----------------------------------------------------------------------------- text pools
#
# Notes are assembled from sentence pools per topic. Placeholders: {name} (the
# name the participant goes by), {pos}/{obj} (their pronoun forms, which never
# need verb agreement), {meeting}, {med}, {day}, {n}, {goal}, {relation}, {topic}.


@dataclass(frozen=True)
class _Topic:
    goal: tuple[str, ...]
    intervention: tuple[str, ...]
    response: tuple[str, ...]
    said: tuple[str, ...]
    plan: tuple[str, ...]


_TOPICS: dict[str, _Topic] = {
    "meetings": _Topic(
        goal=(
            "Build a steady routine of mutual-help meetings.",
            "Stay connected to {meeting} and the people there.",
        ),
        intervention=(
            "Reviewed the meeting list with {name} and picked two meetings that fit the bus "
            "schedule.",
            "Talked through what makes it hard to speak up at {meeting}; shared my own "
            "experience of feeling like an outsider at first.",
            "Met {name} outside {meeting} and went in together.",
            "Explored the difference between 12-step and SMART Recovery meetings so {name} can "
            "choose what fits.",
        ),
        response=(
            "{name} went to {n} meetings this week and shared once, which felt like a big step.",
            "{name} said the Tuesday group feels like home now and got a phone list.",
            "{name} was nervous but stayed for the whole meeting and talked with the greeter "
            "afterwards.",
            "{name} has not gone back since the last session; said it felt too crowded.",
        ),
        said=(
            "“I actually raised my hand and said something this time.”",
            "“I keep meaning to go but then it gets to be 7 o'clock and I just stay home.”",
            "“The people at {meeting} get it. I don't have to explain myself.”",
        ),
        plan=(
            "{name} will try {meeting} on {day}; I will text a reminder that morning.",
            "Look for an online meeting for nights when the bus is not running.",
            "Ask someone at {meeting} for their number before leaving.",
        ),
    ),
    "cravings": _Topic(
        goal=("Notice cravings early and get through them without using.",),
        intervention=(
            "Practised urge surfing: waited out a craving together, rating it every five minutes.",
            "Played the tape forward with {name}: what happens after the first drink or hit.",
            "Went over the trigger list in {pos} recovery plan and added payday weekends.",
            "Shared how I got through cravings in my first year and what helped.",
        ),
        response=(
            "{name} said cravings are down to a couple of times a week and pass faster now.",
            "{name} had strong cravings after running into an old friend but called a support "
            "instead of using.",
            "{name} said the breathing exercise helped in the moment but felt silly at first.",
            "{name} admitted getting close to using on Saturday and was proud of leaving the "
            "party early.",
        ),
        said=(
            "“Friday nights are the worst. That's when it hits.”",
            "“I didn't use, but I thought about it all day Sunday.”",
            "“When I play it forward I see myself back in that motel room.”",
        ),
        plan=(
            "Keep a craving log for one week and bring it on {day}.",
            "Plan something sober for Friday evening; {name} will call me if it gets hard.",
            "Practise urge surfing once a day when there is no craving, so it is ready when "
            "there is one.",
        ),
    ),
    "coping": _Topic(
        goal=("Use healthy coping skills when stress builds up.",),
        intervention=(
            "Taught box breathing (4-4-4-4) and practised it twice during the session.",
            "Worked on the coping strategies list in the WRAP with {name}; added walking the dog "
            "and music.",
            "Talked through a stressful situation at home and brainstormed three options.",
            "Did a grounding exercise (5-4-3-2-1) when {name} became overwhelmed.",
        ),
        response=(
            "{name} said breathing exercises work best before bed and used them {n} times this "
            "week.",
            "{name} identified the argument with {pos} roommate as the main stressor and chose "
            "to talk it out on the weekend.",
            "{name} was calmer by the end of the session and said the grounding helped.",
            "{name} said coping skills went out the window when things blew up at home.",
        ),
        said=(
            "“I'm trying to stop and breathe before I react.”",
            "“Music is what gets me through. I put my headphones on and walk.”",
            "“I know what I'm supposed to do, it's just hard to remember it in the moment.”",
        ),
        plan=(
            "{name} will practise box breathing every morning and note how it goes.",
            "Add the new coping ideas to the relapse-prevention section of the plan.",
            "Check in on {day} about how the talk with the roommate went.",
        ),
    ),
    "mood": _Topic(
        goal=("Manage low mood and anxiety with supports and routine.",),
        intervention=(
            "Made a simple daily routine with {name}: get up, shower, one task, one walk.",
            "Listened and reflected while {name} talked about feeling low since the holidays.",
            "Shared my own experience with depression and what helped me ask for help.",
            "Reviewed early warning signs in the WRAP together.",
        ),
        response=(
            "{name} described a few good days and recognised isolating as an early warning sign.",
            "{name} said the anxiety has been bad in the mornings but eases after getting outside.",
            "{name} has been keeping the routine on most days and is sleeping better.",
            "{name} said the week was heavy and struggled to get out of bed on two days.",
        ),
        said=(
            "“Some days are okay. Some days I just can't.”",
            "“My chest gets tight as soon as I open my eyes.”",
            "“I went for a walk every day this week, even in the rain.”",
        ),
        plan=(
            "{name} agreed to bring up the low mood with {pos} counselor this week.",
            "Keep the daily routine and add one thing that is fun.",
            "Call on {day} to check how the mornings are going.",
        ),
    ),
    "sleep": _Topic(
        goal=("Get regular, restful sleep.",),
        intervention=(
            "Went over sleep habits: screens off at 11, no energy drinks after 2 pm.",
            "Helped {name} set up a sleep log on {pos} phone.",
        ),
        response=(
            "{name} is sleeping about six hours most nights, up from four.",
            "{name} said nightmares are still waking {obj} up a few times a week.",
        ),
        said=(
            "“I'm up at 3 am every night, staring at the ceiling.”",
            "“Cutting the energy drinks actually worked.”",
        ),
        plan=(
            "Keep the sleep log for two weeks and share it with the prescriber.",
            "Bring up the nightmares at the next counseling appointment.",
        ),
    ),
    "medication": _Topic(
        goal=("Stay on {med} as prescribed.",),
        intervention=(
            "Helped {name} set phone reminders for {med} and the next prescriber visit.",
            "Talked about how {med} fits into recovery and answered questions about stigma "
            "at meetings.",
            "Called the pharmacy with {name} to sort out the prior authorization for {med}.",
        ),
        response=(
            "{name} has not missed a dose of {med} this week.",
            "{name} said {med} is helping but the side effects are annoying.",
            "{name} ran out of {med} for two days because of the insurance problem.",
        ),
        said=(
            "“People at the meeting told me I'm not really clean on {med}. That stung.”",
            "“I feel steadier since I've been taking it every day.”",
        ),
        plan=(
            "Follow up with the pharmacy on Friday about the refill.",
            "{name} will raise the side effects with the prescriber at the next visit.",
        ),
    ),
    "health_appt": _Topic(
        goal=("Take care of physical health.",),
        intervention=(
            "Helped {name} book the dental appointment and arranged a ride.",
            "Went with {name} to the primary care visit for support; {name} did the talking.",
            "Wrote down questions for the doctor with {name} ahead of the appointment.",
        ),
        response=(
            "{name} kept the appointment and started the hepatitis C treatment plan.",
            "{name} was nervous in the waiting room but asked all the questions on the list.",
            "{name} missed the appointment because the ride fell through.",
        ),
        said=(
            "“I haven't seen a dentist in ten years.”",
            "“The doctor actually listened to me this time.”",
        ),
        plan=(
            "Reschedule the missed appointment and book medical transportation 48 hours ahead.",
            "Check in after the follow-up visit on {day}.",
        ),
    ),
    "housing": _Topic(
        goal=("Find and keep safe, stable housing.",),
        intervention=(
            "Helped {name} fill out the housing authority application and made copies of "
            "documents.",
            "Called two recovery residences with {name} to ask about openings and costs.",
            "Went over the lease with {name} so the rules on guests are clear.",
            "Connected {name} with the emergency rental assistance program.",
        ),
        response=(
            "{name} is on the waitlist and has an interview at the sober house next week.",
            "{name} moved into the recovery residence and likes the house meetings.",
            "{name} is still couch-surfing at a cousin's place, where people are using.",
            "{name} paid this month's rent on time for the third month in a row.",
        ),
        said=(
            "“I just want a door that locks and a key that's mine.”",
            "“The house rules are strict, but I need that right now.”",
        ),
        plan=(
            "Bring ID, income letter and the signed release to the housing office on {day}.",
            "Follow up with the recovery residence manager about a move-in date.",
            "Check the waitlist status at the end of the month.",
        ),
    ),
    "benefits": _Topic(
        goal=("Get the benefits {name} is eligible for.",),
        intervention=(
            "Helped {name} renew SNAP online and upload the pay stubs.",
            "Went through the Medicaid renewal letter together and filled out the form.",
            "Made a call to the Social Security office with {name} about the SSI appeal.",
        ),
        response=(
            "{name} got the SNAP renewal approved.",
            "{name} is still waiting for a decision on the SSI appeal.",
        ),
        said=("“I hate dealing with these offices. They make you feel like nothing.”",),
        plan=("Watch the mail for the Medicaid decision; call if nothing by the 15th.",),
    ),
    "employment": _Topic(
        goal=("Find work that supports recovery.",),
        intervention=(
            "Worked on {name}'s résumé and practised answering the question about the gap in "
            "work history.",
            "Looked through job postings together; {name} picked three to apply for.",
            "Role-played a job interview and talked about disclosing a record.",
            "Referred {name} to the vocational rehabilitation office.",
        ),
        response=(
            "{name} has an interview at the warehouse on {day}.",
            "{name} started a part-time job at the grocery store and is proud of the first "
            "paycheck.",
            "{name} was turned down again because of the background check and felt discouraged.",
            "{name} applied to {n} jobs this week.",
        ),
        said=(
            "“I want to be somebody who gets up and goes to work.”",
            "“They took one look at my record and that was it.”",
        ),
        plan=(
            "{name} will follow up by phone on the applications.",
            "Look into second-chance employers and the job fair at the library.",
            "Plan meetings around the new work schedule.",
        ),
    ),
    "education": _Topic(
        goal=("Go back to school.",),
        intervention=(
            "Helped {name} register for the GED class at the adult learning center.",
            "Found free online practice tests and set up an account together.",
        ),
        response=(
            "{name} passed the math section of the GED.",
            "{name} went to the first class and said it was less scary than expected.",
        ),
        said=("“I always felt stupid in school. Maybe I wasn't.”",),
        plan=("Study for the reading section twice a week at the library.",),
    ),
    "documents": _Topic(
        goal=("Get identity documents in order.",),
        intervention=(
            "Ordered a copy of {name}'s birth certificate online together.",
            "Went with {name} to the registry for the state ID card.",
        ),
        response=(
            "{name} has the state ID now and can open a bank account.",
            "The birth certificate has not arrived yet.",
        ),
        said=("“Without ID you can't do anything.”",),
        plan=("Open a bank account once the ID card arrives.",),
    ),
    "legal": _Topic(
        goal=("Meet court and probation requirements.",),
        intervention=(
            "Wrote a letter confirming peer support attendance for {name}'s "
            "probation officer (release on file).",
            "Helped {name} plan the route to the courthouse for the hearing.",
        ),
        response=(
            "{name} made it to court on time and the case was continued.",
            "{name} is worried about the upcoming hearing.",
        ),
        said=("“I just want this case behind me.”",),
        plan=("Check in the day after the hearing on {day}.",),
    ),
    "family": _Topic(
        goal=("Rebuild relationships with family.",),
        intervention=(
            "Talked about how to start the conversation with {pos} {relation}.",
            "Helped {name} prepare for the supervised visit with the kids.",
            "Listened as {name} talked about the guilt around family; shared how I made amends "
            "with my own family.",
        ),
        response=(
            "{name} called {pos} {relation} for the first time in two years and they talked for "
            "an hour.",
            "The visit with the kids went well; {name} said they hugged {obj} at the end.",
            "{name} said the {relation} is not ready to talk yet, and that hurt.",
        ),
        said=(
            "“My {relation} said she's proud of me. I didn't know what to say.”",
            "“I missed so much of their lives.”",
        ),
        plan=(
            "{name} will write a letter to {pos} {relation} this week.",
            "Plan something for the next visit, maybe the park if the weather holds.",
        ),
    ),
    "social": _Topic(
        goal=("Build a sober social life.",),
        intervention=(
            "Looked up free sober events this month with {name}.",
            "Invited {name} to the recovery center's Friday game night.",
        ),
        response=(
            "{name} came to game night and stayed the whole time.",
            "{name} said weekends are lonely without the old crowd.",
        ),
        said=(
            "“All my friends were using friends.”",
            "“I didn't know sober people had this much fun.”",
        ),
        plan=("Try the recovery softball practice on {day}.",),
    ),
    "spiritual": _Topic(
        goal=("Reconnect with faith and meaning.",),
        intervention=(
            "Talked about what gives {name} a sense of purpose.",
            "Helped {name} find a church near the new apartment.",
        ),
        response=(
            "{name} went to service on Sunday and talked to the pastor afterwards.",
            "{name} has started meditating ten minutes a day.",
        ),
        said=("“I need something bigger than me.”",),
        plan=("Keep the ten-minute meditation going.",),
    ),
    "milestone": _Topic(
        goal=("Celebrate recovery milestones.",),
        intervention=(
            "Celebrated {name}'s recovery milestone and talked about what made it possible.",
        ),
        response=("{name} picked up a chip at {meeting} and said it felt good to be recognised.",),
        said=("“A year ago I couldn't imagine this.”",),
        plan=("Write down three things that helped, to remember on hard days.",),
    ),
    "return_to_use": _Topic(
        goal=("Get back on track after a return to use.",),
        intervention=(
            "Talked through what happened without judgement; reviewed the triggers that led up "
            "to using.",
            "Gave a naloxone kit and went over overdose signs; talked about not using alone.",
            "Helped {name} call the treatment center about an intensive outpatient program.",
        ),
        response=(
            "{name} used twice after the funeral and said {pos} wants to start over.",
            "{name} was ashamed at first but opened up once we talked about my own relapses.",
        ),
        said=(
            "“I thought I had it handled. I didn't.”",
            "“I don't want to go back to where I was.”",
        ),
        plan=(
            "Update the relapse-prevention plan together on {day}.",
            "Daily check-ins by text for the next week.",
        ),
    ),
}

# The topics a plan goal's domain leads a session to.
_DOMAIN_TOPICS = {
    "health": (
        "cravings",
        "coping",
        "mood",
        "sleep",
        "medication",
        "health_appt",
        "return_to_use",
        "meetings",
    ),
    "home": ("housing", "benefits", "housing"),
    "purpose": ("employment", "education", "documents", "legal", "employment"),
    "community": ("family", "social", "spiritual", "meetings", "milestone"),
}
# Topics that only make sense with substance use in the picture.
_SUBSTANCE_TOPICS = frozenset({"cravings", "return_to_use", "milestone"})
_ALL_TOPICS = tuple(_TOPICS)
_MH_TOPICS = tuple(t for t in _TOPICS if t not in _SUBSTANCE_TOPICS)

_GOAL_LINK = (
    "Recovery plan goal: “{goal}”",
    "{name} is working toward “{goal}”.",
    "Goal in {pos} own words: “{goal}”",
    "Continue work on plan goal: {goal}",
)
_OBSERVE = (
    "Arrived on time and made good eye contact.",
    "Appeared tired and said sleep was poor.",
    "Upbeat and talkative; laughed several times.",
    "Quiet and guarded at first, opened up after ten minutes.",
    "Brought the paperwork we talked about last time.",
    "Calm and clear throughout; followed the conversation easily.",
    "Restless, checked the phone often.",
    "Dressed for work; came straight from a shift.",
)
_ASSESS = {
    "progress": (
        "{name} is making steady progress and is using coping skills more consistently.",
        "Engagement is strong; {name} followed through on the action steps from last time.",
        "Recovery capital is growing: more sober supports and a steadier routine.",
        "Motivation is high and {name} is taking the lead on next steps.",
    ),
    "no_change": (
        "Progress is steady but slow; transportation is still a barrier.",
        "{name} remains engaged and motivated, though this goal has not moved this week.",
        "Stable week; no new concerns.",
    ),
    "setback": (
        "A hard week; {name} stayed connected, which is a strength to build on.",
        "Missed appointments and stress at home are getting in the way of follow-through.",
        "Risk is higher than usual this week; more frequent check-ins agreed.",
    ),
}
_CHECK_IN = (
    "Brief check-in on how the week is going.",
    "Quick call to confirm the appointment and see how things are.",
    "Texted to check in after the weekend.",
)
_OUTREACH = _Topic(
    goal=("Re-engage {name} in peer support.", "Reconnect after missed contacts."),
    intervention=(
        "Called the number on file; no answer. Left a voicemail with the center's callback number.",
        "Sent a text: “Hi {name}, thinking of you. Call or text when you can.”",
        "Stopped by the last known address; no one answered. Left a card in the door.",
        "Asked at the day shelter and the drop-in center; {name} has not been seen this week.",
    ),
    response=(
        "No response at the time of this note.",
        "Message delivered; no reply yet.",
        "Voicemail box full; could not leave a message.",
    ),
    said=("No contact made.",),
    plan=(
        "Try again in {n} days by phone and text.",
        "If there is no contact within a week, discuss with supervisor and call the "
        "emergency contact (release on file).",
        "Try the drop-in center on {day}.",
    ),
)
_COLLATERAL = _Topic(
    goal=("Coordinate supports with {name}'s {relation} (written consent on file).",),
    intervention=(
        "Spoke with {pos} {relation} by phone about how to support {name} this month.",
        "Returned a call from {name}'s {relation}, who was worried after a missed visit.",
        "Talked with {pos} {relation} about the upcoming move and what help is needed.",
    ),
    response=(
        "The {relation} was relieved to hear {name} is engaged and asked how to help.",
        "The {relation} shared concerns about money and will encourage {name} to bring it "
        "up at the next session.",
    ),
    said=("The {relation} said {name} has seemed more like {pos} old self lately.",),
    plan=(
        "Let {name} know about the call at the next session, as agreed.",
        "No further contact with the {relation} unless {name} asks.",
    ),
)
_GROUP = _Topic(
    goal=(
        "Build connection with peers in recovery.",
        "Attend peer support group to strengthen recovery supports.",
    ),
    intervention=(
        "Facilitated the group “{topic}”; {name} took part in the check-in round "
        "and the pair exercise.",
        "Peer-led group on “{topic}”. Shared my own experience to open the discussion.",
    ),
    response=(
        "{name} shared about {pos} week and offered encouragement to a newer member.",
        "{name} mostly listened and said afterwards the topic hit home.",
        "{name} talked openly about {pos} own triggers and got good feedback.",
        "{name} arrived late but joined in during the second half.",
    ),
    said=("“It helps to know I'm not the only one.”", "“I didn't say much, but I'll be back.”"),
    plan=(
        "Invited {name} to the next group; follow up individually on {day}.",
        "Check in individually this week about what came up in group.",
    ),
)
_RISKS = {
    "overdose_risk": (
        "{name} said {pos} tolerance is down after weeks without using and that a friend "
        "offered pills that may contain fentanyl. Gave a naloxone kit and fentanyl test strips "
        "and reviewed never using alone.",
        "Follow up within 24 hours; supervisor informed.",
    ),
    "self_harm": (
        "{name} mentioned thoughts of not wanting to be here anymore. Followed the safety "
        "protocol: stayed with {obj}, called 988 together and made a safety plan.",
        "Same-day follow-up with supervisor and counselor; check in tomorrow morning.",
    ),
    "housing_loss": (
        "{name} received a 14-day notice to quit from the landlord.",
        "Connect {name} with legal aid and emergency rental assistance this week.",
    ),
    "crisis": (
        "{name} called in crisis after a fight at home; helped {obj} get somewhere safe and "
        "connected with the mobile crisis team.",
        "Daily check-ins until things settle; supervisor informed.",
    ),
}
_RISK_PICK = _Weighted(
    [("overdose_risk", 0.35), ("housing_loss", 0.3), ("self_harm", 0.2), ("crisis", 0.15)]
)

_MEETINGS_SU = (
    "AA",
    "NA",
    "SMART Recovery",
    "Recovery Dharma",
    "Celebrate Recovery",
    "the Tuesday night women's meeting",
    "the All Recovery meeting at the center",
    "the Saturday morning NA meeting",
)
_MEETINGS_MH = (
    "the NAMI peer support group",
    "the DBSA group",
    "the Hearing Voices group",
    "the wellness group at the center",
)
_MEDS_SU = ("Suboxone", "methadone", "the Vivitrol shot", "buprenorphine")
_MEDS_MH = ("the antidepressant", "psychiatric medication", "the mood stabilizer")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_IN_PERSON_LOCATIONS = (
    "Recovery center, peer office",
    "Recovery center, peer office",
    "Coffee shop on Main Street",
    "Participant's home",
    "Public library",
    "Riverside Park",
    "Community health center lobby",
    "Drop-in center",
    "Recovery center, kitchen table",
    "Walking meeting around the block",
)
_GROUP_TOPICS = (
    "Coping with cravings",
    "Building a sober support network",
    "Relapse prevention: triggers and warning signs",
    "WRAP basics",
    "Managing stress and anxiety",
    "Healthy relationships and boundaries",
    "Budgeting on a tight income",
    "Job readiness: telling your story",
    "Holiday survival plan",
    "Self-care and sleep",
    "Gratitude and goal setting",
    "Grief and loss in recovery",
    "Naloxone training and overdose prevention",
    "Talking to family about recovery",
)
_ADDENDA = (
    (
        "Late entry",
        "{name} called back after the session to say the appointment was moved to {day}.",
    ),
    (
        "Clarification",
        "The referral discussed in this note is to the counselor named in the "
        "consent on file, not the clinic mentioned.",
    ),
    ("Additional information", "{name}'s {relation} dropped off the paperwork the next morning."),
)

# (statement in the participant's words, measurable target,
#  action steps as (what, who, who by name when "other")), with which recovery
#  focus the goal suits: "su" substance use, "mh" mental health, "any".
_GoalSpec = tuple[str, str, str, tuple[tuple[str, str, str], ...]]
_GOALS: dict[str, tuple[_GoalSpec, ...]] = {
    "health": (
        (
            "su",
            "I want to stay clean and feel good in my own body again.",
            "No use for 90 days in a row (self-report at weekly check-ins)",
            (
                ("Go to at least three meetings a week", "participant", ""),
                ("Ask someone at a meeting to be my sponsor", "participant", ""),
                ("Weekly check-in call about cravings", "specialist", ""),
            ),
        ),
        (
            "su",
            "Stay on my Suboxone and stop using on top of it.",
            "Keep every prescriber visit and have 8 weeks of clean screens",
            (
                ("Keep the Thursday prescriber appointments", "participant", ""),
                ("Set up phone reminders for doses and visits", "specialist", ""),
                ("Review the dose if cravings continue", "other", "Prescriber, Unity Health"),
            ),
        ),
        (
            "su",
            "Cut my drinking back to weekends, then stop.",
            "No drinking Monday to Friday for 6 weeks, tracked in a drink diary",
            (
                ("Keep the drink diary every day", "participant", ""),
                ("Go over the diary together each week", "specialist", ""),
            ),
        ),
        (
            "su",
            "Never use alone again and always carry naloxone.",
            "Naloxone on me at every session; Never Use Alone number saved in my phone",
            (
                ("Pick up a naloxone kit", "participant", ""),
                ("Teach my roommate how to use naloxone", "participant", ""),
                ("Bring fentanyl test strips to the next session", "specialist", ""),
            ),
        ),
        (
            "any",
            "Sleep through the night without needing pills.",
            "Six hours of sleep on 5 nights a week, tracked in a sleep log",
            (
                ("Keep a sleep log", "participant", ""),
                ("No screens after 11 pm", "participant", ""),
                (
                    "Bring the sleep log to the doctor",
                    "other",
                    "Primary care, community health center",
                ),
            ),
        ),
        (
            "mh",
            "Go a whole month without a panic attack making me leave work.",
            "Fewer than two early departures from work a month",
            (
                ("Practise box breathing every morning", "participant", ""),
                ("Role-play what to say to my supervisor", "specialist", ""),
            ),
        ),
        (
            "any",
            "Get my teeth fixed so I can smile again.",
            "Finish the dental treatment plan at the community health center",
            (
                ("Call the dental clinic for a first appointment", "participant", ""),
                ("Arrange medical transportation", "specialist", ""),
                ("Send the treatment plan and cost estimate", "other", "Dental clinic"),
            ),
        ),
        (
            "mh",
            "Find a therapist I actually like and keep going.",
            "Six sessions with the same counselor",
            (
                ("Look at the counselor list together", "specialist", ""),
                ("Go to the first appointment", "participant", ""),
            ),
        ),
        (
            "any",
            "Walk every day because it helps my mood.",
            "A 20-minute walk on at least 5 days a week",
            (
                ("Walk after lunch", "participant", ""),
                ("Walking meeting once a week", "specialist", ""),
            ),
        ),
        (
            "any",
            "Quit smoking, or at least cut down to half a pack.",
            "Ten cigarettes a day or fewer, with nicotine patches",
            (
                ("Ask the doctor about patches", "participant", ""),
                ("Call the quit line together", "specialist", ""),
            ),
        ),
        (
            "mh",
            "Take my meds every day even when I feel fine.",
            "No missed doses for 30 days (pill organizer check)",
            (
                ("Buy a weekly pill organizer", "participant", ""),
                ("Set a daily phone alarm", "participant", ""),
                ("Review side effects at the next visit", "other", "Psychiatric prescriber"),
            ),
        ),
    ),
    "home": (
        (
            "any",
            "Get my own apartment where my kids can visit.",
            "A signed lease in my name",
            (
                ("Fill out the housing authority application", "participant", ""),
                ("Gather ID, income letter and references", "participant", ""),
                ("Check the waitlist status every month", "specialist", ""),
            ),
        ),
        (
            "su",
            "Move out of the shelter into sober housing.",
            "Move into a recovery residence",
            (
                ("Call three recovery residences", "participant", ""),
                ("Help with the first week's rent application", "specialist", ""),
                ("Interview and house tour", "other", "Recovery residence manager"),
            ),
        ),
        (
            "any",
            "Keep my place, no more late rent.",
            "Rent paid on time for 6 months in a row",
            (
                ("Set up automatic payment on payday", "participant", ""),
                ("Make a monthly budget together", "specialist", ""),
            ),
        ),
        (
            "any",
            "Get on the housing voucher list and stay on it.",
            "Application in and the yearly update returned on time",
            (
                ("Submit the voucher application", "participant", ""),
                ("Put the renewal date on the calendar", "specialist", ""),
            ),
        ),
        (
            "mh",
            "Make my room feel like home, not just a place to crash.",
            "Bed frame and curtains bought; room cleaned every Sunday",
            (
                ("Go to the furniture bank", "participant", ""),
                ("Arrange a furniture bank referral", "specialist", ""),
            ),
        ),
        (
            "any",
            "Fix things with my landlord so I don't get evicted.",
            "A written payment plan with the landlord",
            (
                ("Call legal aid about the notice", "participant", ""),
                ("Apply for emergency rental assistance", "specialist", ""),
                ("Review the payment plan", "other", "Legal aid housing attorney"),
            ),
        ),
        (
            "su",
            "Live somewhere without people using around me.",
            "Moved out of my cousin's apartment",
            (
                ("Make a list of sober friends with a spare room", "participant", ""),
                ("Look at recovery residence openings", "specialist", ""),
            ),
        ),
        (
            "any",
            "Learn to budget so money lasts the whole month.",
            "Grocery money left in the last week of the month, three months running",
            (
                ("Write down every expense for a month", "participant", ""),
                ("Go through the budget worksheet together", "specialist", ""),
            ),
        ),
    ),
    "purpose": (
        (
            "any",
            "Get my GED.",
            "Pass all four GED subject tests",
            (
                ("Register for the class at the adult learning center", "participant", ""),
                ("Find free practice tests online", "specialist", ""),
                ("Confirm the class schedule", "other", "Adult learning center"),
            ),
        ),
        (
            "any",
            "Go back to work part time.",
            "Hired for a job of 15 to 25 hours a week",
            (
                ("Update my résumé", "participant", ""),
                ("Practise interview questions", "specialist", ""),
                (
                    "Job leads from the career center",
                    "other",
                    "Vocational rehabilitation counselor",
                ),
            ),
        ),
        (
            "any",
            "Get my driver's license back.",
            "Fees paid and road test passed",
            (
                ("Get the reinstatement letter from the registry", "participant", ""),
                ("Help set up a payment plan for the fees", "specialist", ""),
            ),
        ),
        (
            "any",
            "Volunteer at the food bank like I used to.",
            "One volunteer shift a week for two months",
            (
                ("Call the volunteer coordinator", "participant", ""),
                ("Go to the first shift together", "specialist", ""),
            ),
        ),
        (
            "any",
            "Become a peer specialist myself one day.",
            "Finish the 46-hour peer recovery specialist training",
            (
                ("Apply for the spring training", "participant", ""),
                ("Write a reference letter", "specialist", ""),
            ),
        ),
        (
            "any",
            "Get my ID and birth certificate so I can apply for things.",
            "State ID card in hand",
            (
                ("Order the birth certificate online", "participant", ""),
                ("Pay the fee with the center's voucher", "specialist", ""),
            ),
        ),
        (
            "any",
            "Finish my associate's degree.",
            "Register for two classes next semester",
            (
                ("Meet the college advisor", "participant", ""),
                ("Look into financial aid together", "specialist", ""),
            ),
        ),
        (
            "su",
            "Deal with my court fines so I can move on.",
            "Payment plan set up and every payment on time",
            (
                ("Go to the clerk's office to ask for a payment plan", "participant", ""),
                ("Write a letter about program participation", "specialist", ""),
                ("Approve the payment plan", "other", "Probation officer"),
            ),
        ),
    ),
    "community": (
        (
            "su",
            "Have sober friends to hang out with on weekends.",
            "One sober activity with friends every weekend",
            (
                ("Go to game night at the center", "participant", ""),
                ("Share the sober events calendar", "specialist", ""),
            ),
        ),
        (
            "any",
            "Reconnect with my mom.",
            "A call with my mom every week; visit on her birthday",
            (
                ("Write her a letter first", "participant", ""),
                ("Practise what I want to say", "specialist", ""),
            ),
        ),
        (
            "any",
            "Be a better parent to my son.",
            "Keep every supervised visit for 3 months",
            (
                ("Put visits on the calendar", "participant", ""),
                ("Plan activities for the visits", "participant", ""),
                ("Confirm the visit schedule", "other", "Family services caseworker"),
            ),
        ),
        (
            "any",
            "Go to church again.",
            "Sunday service twice a month",
            (
                ("Find a church near home", "participant", ""),
                ("Look up the bus route together", "specialist", ""),
            ),
        ),
        (
            "su",
            "Get a sponsor and work the steps.",
            "Sponsor in place; step 3 done by the target date",
            (
                ("Ask someone at the home group", "participant", ""),
                ("Talk about what to look for in a sponsor", "specialist", ""),
            ),
        ),
        (
            "any",
            "Join a team or club, something that isn't about using.",
            "Join the Tuesday rec-league softball team",
            (
                ("Sign up at the rec center", "participant", ""),
                ("Help with the sign-up fee waiver", "specialist", ""),
            ),
        ),
        (
            "any",
            "Speak up at groups instead of sitting in the back.",
            "Share at least once a week",
            (
                ("Sit in the front row", "participant", ""),
                ("Practise sharing in our sessions", "specialist", ""),
            ),
        ),
        (
            "any",
            "Get my kids back.",
            "Finish the service plan; unsupervised visits approved",
            (
                ("Go to every parenting class", "participant", ""),
                ("Write a progress letter for the court", "specialist", ""),
                ("Review the service plan", "other", "Family services caseworker"),
            ),
        ),
        (
            "any",
            "Make peace with my sister.",
            "Write her a letter and meet for coffee",
            (
                ("Write the letter", "participant", ""),
                ("Read the letter together before sending", "specialist", ""),
            ),
        ),
    ),
}
_WELLNESS_TO_SAMHSA = {
    "emotional": "health",
    "physical": "health",
    "environmental": "home",
    "financial": "home",
    "intellectual": "purpose",
    "occupational": "purpose",
    "social": "community",
    "spiritual": "community",
}
_SAMHSA_DOMAINS = ("health", "home", "purpose", "community")
_WELLNESS_DOMAINS = tuple(_WELLNESS_TO_SAMHSA)

_STRENGTHS = (
    "I don't give up.",
    "Good sense of humour.",
    "My kids are my reason.",
    "Good with my hands: ten years in construction.",
    "I cook for everyone.",
    "Strong faith.",
    "I've been sober for three years before, so I know I can do it.",
    "Great with animals.",
    "Honest, even when it's hard.",
    "Finished a welding certificate.",
    "Close with my grandmother.",
    "Creative: I draw and write poetry.",
    "Knows the bus system inside out.",
    "Bilingual.",
    "A loyal friend.",
    "I show up on time.",
    "Good at fixing cars.",
    "I ask for help now.",
    "Funny and easy to talk to.",
)
_BARRIERS = (
    "No driver's license.",
    "Outstanding fines and a probation hearing.",
    "Lives with people who use.",
    "On the waitlist for a housing voucher.",
    "Anxiety in crowds.",
    "Runs out of phone minutes at the end of the month.",
    "Chronic back pain.",
    "A record makes the job search hard.",
    "Needs an interpreter for appointments.",
    "No childcare.",
    "Hard to trust providers after past experiences.",
    "Money runs out before the end of the month.",
    "Hepatitis C treatment pending.",
    "No ID documents.",
)
_TRIGGERS = (
    "Payday.",
    "Arguments with my ex.",
    "Driving past the old neighborhood.",
    "Being alone on weekends.",
    "Back pain flaring up.",
    "Holidays.",
    "The anniversary of my brother's death.",
    "Seeing old friends from my using days.",
    "Court dates.",
    "Not sleeping.",
    "Loud crowds.",
    "Feeling judged at appointments.",
    "Bills piling up.",
)
_WARNING_SIGNS = (
    "Skipping meals.",
    "Not answering my phone.",
    "Staying up all night.",
    "Remembering only the good times of using.",
    "Isolating in my room.",
    "Skipping meetings.",
    "Getting short with my kids.",
    "Not showering.",
    "Thinking “just once won't hurt”.",
    "Picking fights.",
    "Spending money fast.",
)
_COPING = (
    "Call my sponsor.",
    "Go to the 7 pm meeting.",
    "Walk the dog.",
    "Box breathing (4-4-4-4).",
    "Play guitar.",
    "Text my peer specialist.",
    "Play the tape forward.",
    "Urge surfing: wait 20 minutes.",
    "Cold water on my face.",
    "Go to the gym.",
    "Pray.",
    "Drawing.",
    "Cook a real meal.",
    "Listen to my playlist.",
    "Call my sister.",
)
_CRISIS_HOSPITALS = ("St. Mary's", "Riverbend General", "County Medical Center")
_CRISIS_HELPS = (
    "someone staying with me",
    "a quiet room",
    "my dog",
    "music",
    "being outside",
    "talking about my kids",
)
_CRISIS_WORSE = (
    "yelling",
    "police lights",
    "being touched",
    "being left alone",
    "crowded waiting rooms",
)
_NALOXONE_PLACES = (
    "the front pocket of my backpack",
    "the kitchen drawer",
    "the glove box",
    "my jacket pocket",
)
_SUPPORT_RELATIONS = (
    "sister",
    "brother",
    "mother",
    "sponsor",
    "friend from the program",
    "pastor",
    "aunt",
    "cousin",
    "partner",
    "neighbor",
    "father",
)
_RATING_COMMENTS = {
    "up": (
        "Good steps this month.",
        "Two good weeks in a row.",
        "Followed through on the plan.",
        "Feeling more confident.",
        "Did it without help this time.",
        "Big step this month.",
    ),
    "flat": (
        "Still waiting to hear back.",
        "About the same as last month.",
        "Busy month, not much movement.",
        "",
    ),
    "down": (
        "Rough month, slipped back.",
        "Lost the job lead.",
        "Had to put this aside after the move.",
        "Missed a few weeks.",
    ),
}
_DISCHARGE_REASONS = (
    "Completed recovery plan goals; transitioned to community supports.",
    "Moved out of the service area.",
    "Participant chose to end services.",
    "Transferred to a higher level of care (residential treatment).",
    "No contact for more than 90 days despite outreach.",
    "Now connected with a long-term recovery coach at another agency.",
)
_TRANSFER_REASONS = (
    "Caseload balancing.",
    "Specialist changed teams.",
    "Participant asked for a different peer specialist.",
    "Language match: participant prefers a bilingual specialist.",
    "Schedule fit: participant works days and needs evening contacts.",
)
_UNASSIGNED_REASON = "Specialist left the program; awaiting reassignment."
_RESET_NOTES = (
    "Participant chose to reset the date after a return to use; reviewed what led up to it.",
    "New date after a short relapse; participant wants to count from here.",
    "Date corrected by participant after talking with sponsor.",
)
# Consent categories besides contact details and the referral reason, which
# every demo consent includes (codes and wording from casebook.services.consents).
_OPTIONAL_CATEGORIES = (
    "substance_use",
    "mental_health",
    "treatment_plan",
    "assessments",
    "attendance",
)
_REFERRAL_REASONS = {
    "su": (
        "Asked for help finding a counselor for co-occurring substance use and trauma.",
        "Needs an assessment for medication for opioid use disorder (MOUD).",
        "Wants an intensive outpatient program after a return to use.",
        "Gambling has come up alongside drinking; wants specialised counseling.",
    ),
    "mh": (
        "Increasing anxiety and panic attacks; wants therapy.",
        "Grief after the death of a close friend; asked for a counselor.",
        "Wants a psychiatric medication evaluation for depression.",
        "Asked for trauma-focused therapy (EMDR) with a woman counselor.",
    ),
    "any": (
        "Family counseling to prepare for reunification with the children.",
        "Couples counseling; participant and partner both asked for it.",
        "Anger at work is putting the job at risk; wants counseling.",
    ),
}
_REFERRAL_NOTES = {
    "requested": (
        "Referral packet sent with the consent on file.",
        "Sent by secure e-mail; intake coordinator confirmed receipt.",
    ),
    "accepted": ("Intake appointment scheduled.", "Counselor has an opening and accepted."),
    "in-progress": ("Participant attended the first appointment.", "Participant is going weekly."),
    "completed": (
        "Counselor confirmed the participant is engaged in ongoing care.",
        "Episode of care finished; participant feels ready.",
    ),
    "cancelled": (
        "Participant decided not to go ahead for now.",
        "Participant moved; referral no longer needed.",
    ),
    "failed": (
        "No reply after three calls to the intake line.",
        "Participant did not go to the intake appointment.",
    ),
    "rejected": (
        "Program is not taking new clients with this insurance.",
        "Not eligible: needs a higher level of care first.",
    ),
    "on-hold": (
        "Participant asked to pause until after the move.",
        "Waiting for insurance approval.",
    ),
}
# Status paths a referral takes, by the status it ends in (referrals.TRANSITIONS).
_REFERRAL_PATHS = {
    "draft": ("draft",),
    "requested": ("draft", "requested"),
    "accepted": ("draft", "requested", "accepted"),
    "in-progress": ("draft", "requested", "accepted", "in-progress"),
    "on-hold": ("draft", "requested", "accepted", "on-hold"),
    "completed": ("draft", "requested", "accepted", "in-progress", "completed"),
    "cancelled": ("draft", "requested", "cancelled"),
    "rejected": ("draft", "requested", "rejected"),
    "failed": ("draft", "requested", "failed"),
}
# Outcomes that lead to each closing status (referrals.OUTCOME_STATUSES).
_REFERRAL_OUTCOMES = {
    "completed": ("attended_first_appointment",) * 9 + ("other",),
    "cancelled": ("participant_withdrew",) * 4 + ("other",),
    "rejected": ("not_eligible",) * 4 + ("other",),
    "failed": ("declined", "no_response", "no_response", "waitlisted"),
}
_OTHER_OUTCOME_NOTES = {
    "completed": ("Started in the counselor's group program instead of individual sessions.",),
    "cancelled": ("Counselor left the practice before the first appointment.",),
    "rejected": ("Program closed its waitlist this quarter.",),
}
_FOLLOW_UP_DAYS = {"routine": 7, "urgent": 1, "emergent": 0}
_OPEN_REFERRAL = frozenset({"requested", "accepted", "in-progress", "on-hold"})
_CLOSED_REFERRAL = frozenset({"completed", "cancelled", "rejected", "failed"})
_REFERRAL_STATUS_PICK = _Weighted(
    [
        ("draft", 0.07),
        ("requested", 0.17),
        ("accepted", 0.13),
        ("in-progress", 0.17),
        ("on-hold", 0.04),
        ("completed", 0.26),
        ("cancelled", 0.07),
        ("rejected", 0.03),
        ("failed", 0.06),
    ]
)

_FORMAT_KEYS = {
    "GIRP": ("goal", "intervention", "response", "plan"),
    "DAP": ("data", "assessment", "plan"),
    "SOAP": ("subjective", "objective", "assessment", "plan"),
}
_SMALL_NUMBERS = ("2", "3", "4", "5")
_REMOTE_LOCATIONS = {"phone": "Phone", "video": "Video call", "text": "Text messages"}
_OUTREACH_ASSESS = (
    "No contact made; unable to assess.",
    "Several missed contacts; engagement is at risk.",
)
_COLLATERAL_ASSESS = "Family support appears solid, within the limits of the consent."
# Session topics a goal's domain leads to, without substance-use topics for
# participants whose focus is mental health only.
_TOPIC_OPTIONS = {
    (mental_health, domain): tuple(
        topic
        for topic in _DOMAIN_TOPICS[_WELLNESS_TO_SAMHSA.get(domain, domain)]
        if not (mental_health and topic in _SUBSTANCE_TOPICS)
    )
    for mental_health in (False, True)
    for domain in (*_SAMHSA_DOMAINS, *_WELLNESS_DOMAINS)
}
_PEER_FORMATS = ("GIRP", "GIRP", "GIRP", "DAP", "GIRP", "GIRP", "SOAP", "GIRP")
_FORMAT_PICK = _Weighted([("GIRP", 0.75), ("DAP", 0.15), ("SOAP", 0.10)])
_CONTACT_KIND_PICK = _Weighted([("individual", 0.62), ("check_in", 0.32), ("collateral", 0.06)])
_MODE_PICK = {
    "individual": _Weighted([("in_person", 0.7), ("video", 0.15), ("phone", 0.15)]),
    "check_in": _Weighted([("phone", 0.6), ("text", 0.3), ("in_person", 0.1)]),
    "collateral": _Weighted([("phone", 0.8), ("in_person", 0.2)]),
    "outreach": _Weighted([("phone", 0.6), ("text", 0.3), ("in_person", 0.1)]),
}
_DURATIONS = {
    "individual": (30, 40, 45, 50, 60, 60, 60, 75, 90),
    "check_in": (10, 15, 15, 20, 25),
    "collateral": (15, 20, 30),
    "outreach": (5, 5, 10, 15),
}
_MARK_PICK = _Weighted([("progress", 0.5), ("no_change", 0.35), ("setback", 0.15)])
_CADENCE_PICK = _Weighted([(7, 0.70), (14, 0.15), (3, 0.08), (30, 0.07)])
_FOCUS_PICK = _Weighted([("substance_use", 0.35), ("mental_health", 0.25), ("co_occurring", 0.40)])
_GOAL_STATUS_PICK = _Weighted(
    [
        ("in_progress", 0.60),
        ("not_started", 0.12),
        ("achieved", 0.15),
        ("on_hold", 0.08),
        ("discontinued", 0.05),
    ]
)
_CONSENT_KIND_PICK = _Weighted(
    [("active", 0.62), ("expired", 0.12), ("revoked", 0.06), ("expiring", 0.10), ("event", 0.10)]
)
_URGENCY_PICK = _Weighted([("routine", 0.85), ("urgent", 0.13), ("emergent", 0.02)])
_CULTURE_PICK = _Weighted([(c, float(c.weight)) for c in names.CULTURES])
_LATIN_CULTURE_PICK = _Weighted([(c, float(c.weight)) for c in names.CULTURES if c.latin])
# Letters NFKD does not decompose into ASCII, for e-mail addresses.
_ASCII_FOLD = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "æ": "ae",
        "Æ": "Ae",
        "ß": "ss",
        "ı": "i",
        "'": "",
        " ": "",
    }
)


# Durations are looked up, not built: constructing a timedelta costs more than
# the date arithmetic it is used for, and seeding does millions of these.
_DAYS = tuple(timedelta(days=n) for n in range(2200))
_MINUTES = tuple(timedelta(minutes=n) for n in range(6000))
# Office hours across the Americas, in UTC, in 5-minute steps.
_OFFICE_TIMES = tuple(timedelta(hours=h, minutes=m) for h in range(13, 22) for m in range(0, 60, 5))


def _days(n: int) -> timedelta:
    return _DAYS[n] if 0 <= n < 2200 else timedelta(days=n)


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.translate(_ASCII_FOLD))
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _describe_categories(codes: Sequence[str]) -> str:
    """The consent form's wording for *codes*, as one sentence."""
    parts = [CATEGORY_DESCRIPTIONS[code] for code in codes]
    parts[1:] = [part[0].lower() + part[1:] for part in parts[1:]]
    return "; ".join(parts) + "." if parts else ""


# "HH:MM:00.000000" for every minute of the day, to append to a date's text.
_CLOCK_TEXT = tuple(f" {h:02d}:{m:02d}:00.000000" for h in range(24) for m in range(60))


def fast_bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's SQLite bind processor, or a quicker equivalent.

    Timestamps, dates and JSON are most of the values seeded, and their standard
    processors go through several Python layers per value. The replacements
    produce the same stored text (the tests compare them with the standard
    ones) and hand anything unusual to the standard processor.
    """
    standard = type_.dialect_impl(dialect).bind_processor(dialect)
    if standard is None:
        return None
    day_text: dict[date, str] = {}
    if isinstance(type_, UTCDateTime):

        def utc(value: datetime | None) -> str | None:
            # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; the seeded
            # times are whole minutes, so the text is the day plus the clock.
            if value is None or value.tzinfo is not UTC or value.second or value.microsecond:
                return standard(value)
            day = value.date()
            text = day_text.get(day)
            if text is None:
                text = day_text[day] = day.isoformat()
            return text + _CLOCK_TEXT[value.hour * 60 + value.minute]

        return utc
    if isinstance(type_, Date) and not isinstance(type_, DateTime):

        def plain_date(value: date | None) -> str | None:
            if type(value) is not date:
                return standard(value)
            text = day_text.get(value)
            if text is None:
                text = day_text[value] = value.isoformat()
            return text

        return plain_date
    if isinstance(type_, JSON) and not type_.none_as_null:
        serializer: Callable[[Any], str] = getattr(dialect, "_json_serializer", None) or json.dumps

        def as_json(value: Any) -> Any:
            if value is None:
                return standard(value)
            return "[]" if value == [] else serializer(value)

        return as_json
    return standard


class _SqliteInserter:
    """One table's INSERT for SQLite, with parameters converted up front.

    Core ``executemany`` spends most of its time building a parameter dict per
    row; here each value goes through the column type's own bind processor
    (the same conversion SQLAlchemy applies, so stored values are identical)
    and the driver gets plain tuples.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.columns = [column.name for column in table.columns]
        self.sql = (
            f"INSERT INTO {quote(table.name)} "
            f"({', '.join(quote(name) for name in self.columns)}) "
            f"VALUES ({', '.join('?' for _ in self.columns)})"
        )
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for index, column in enumerate(table.columns):
            processor = fast_bind_processor(column.type, dialect)
            if processor is not None:
                self.processors.append((index, processor))

    def parameters(self, rows: list[Row]) -> list[tuple[Any, ...]]:
        values_of = itemgetter(*self.columns)
        processors = self.processors
        out = []
        for row in rows:
            values = list(values_of(row))
            for index, processor in processors:
                values[index] = processor(values[index])
            out.append(tuple(values))
        return out


@dataclass(slots=True)
class _Group:
    id: int
    facilitator_id: int
    at: datetime
    duration: int
    topic: str
    location: str
    group_text: str


@dataclass(slots=True)
class _Counselor:
    id: int
    description: str
    accepting: bool
    active: bool


@dataclass(slots=True)
class _Person:
    """What the first pass decides about a participant; the second pass writes the rows."""

    id: int
    culture: names.Culture
    woman: bool
    legal_name: str
    family_index: int
    preferred_name: str | None
    pronouns: str | None
    focus: str
    intake: date
    status: str
    discharge: date | None
    discharge_reason: str | None
    cadence: int
    profile: str
    last_contact: date
    # (specialist id, start, end or None, reason), oldest first.
    assignments: list[tuple[int, date, date | None, str]]
    ctx: dict[str, str]
    groups: list[_Group] = field(default_factory=list)

    def specialist_on(self, day: date) -> int:
        for specialist, start, _end, _reason in reversed(self.assignments):
            if start <= day:
                return specialist
        return self.assignments[0][0]


@dataclass(slots=True)
class _GoalRef:
    id: int
    domain: str
    statement: str


@dataclass(slots=True)
class _PlanPeriod:
    start: date
    end: date | None
    goals: list[_GoalRef]


class _Seeder:
    def __init__(
        self,
        session: Session,
        *,
        participants: int,
        seed: int,
        password_hash: str,
        today: date,
        progress: Callable[[int, int], None] | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.session = session
        self.rng = _Rng(seed)
        self.seed = seed
        self.n = participants
        self.password_hash = password_hash
        self.today = today
        self.yesterday = today - timedelta(days=1)
        # Every generated time lies before midnight UTC of ``today``, so nothing
        # is in the future whatever the clinic's time zone.
        self.end = _at(today, 0)
        self.window_start = today - timedelta(days=365)
        self.progress = progress
        self.cancelled = cancelled
        self.tables: dict[str, Table] = {name: Base.metadata.tables[name] for name in _TABLE_ORDER}
        self.connection = session.connection()
        dialect = self.connection.dialect
        self.sqlite = dialect.name == "sqlite"
        self.inserters = (
            {name: _SqliteInserter(table, dialect) for name, table in self.tables.items()}
            if self.sqlite
            else {}
        )
        self.rows: dict[str, list[Row]] = {name: [] for name in _TABLE_ORDER}
        self.counts: dict[str, int] = dict.fromkeys(_TABLE_ORDER, 0)
        self.next_ids: dict[str, int] = {}
        self.usernames: list[str] = []
        self.staff_names: dict[int, str] = {}
        self.peers: list[int] = []
        self.peer_format: dict[int, str] = {}
        self.supervisor_id = 0
        self.counselors: list[_Counselor] = []
        self.used_staff_names: set[str] = set()
        # Notes written as drafts so their goals could be added, to sign at flush.
        self.sign_later: list[int] = []
        self.midnights: dict[date, datetime] = {}
        self.latest = self.end - timedelta(minutes=1)
        self.drafts_from = today - timedelta(days=4)
        # Multiplies the number of real contacts per participant (seed_demo's notes=).
        self.contact_scale = 1.0

    # ------------------------------------------------------------------ plumbing

    def _start_ids(self) -> None:
        # Explicit ids let children reference parents before anything is
        # flushed; starting after the current maximum keeps this correct even
        # if an unrelated table (the audit log, say) already has rows.
        for name, table in self.tables.items():
            current = self.session.scalar(select(func.max(table.c.id)))
            self.next_ids[name] = (current or 0) + 1

    def _id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def _flush(self) -> None:
        """Write the rows built so far, parents first."""
        for name in _TABLE_ORDER:
            rows = self.rows[name]
            if not rows:
                continue
            if self.sqlite:
                inserter = self.inserters[name]
                self.connection.exec_driver_sql(inserter.sql, inserter.parameters(rows))
            else:
                self.session.execute(insert(self.tables[name]), rows)
            self.counts[name] += len(rows)
            self.rows[name] = []
            if name == "note_goal" and self.sign_later:
                # Their signature columns and hash are already written; only the
                # status flips, which the signed-note trigger allows from draft.
                notes = self.tables["session_note"]
                for start in range(0, len(self.sign_later), 500):
                    ids = self.sign_later[start : start + 500]
                    self.connection.execute(
                        update(notes).where(notes.c.id.in_(ids)).values(status="signed")
                    )
                self.sign_later = []

    def _check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise CasebookError(tr("seeding was cancelled"))

    def _midnight(self, day: date) -> datetime:
        midnight = self.midnights.get(day)
        if midnight is None:
            midnight = self.midnights[day] = _at(day, 0)
        return midnight

    def _time_on(self, day: date) -> datetime:
        return self._midnight(day) + self.rng.choice(_OFFICE_TIMES)

    def _weekday(self, day: date, floor: date) -> date:
        """Most contacts happen on weekdays: move most weekend days back to Friday."""
        weekday = day.weekday()
        if weekday >= 5 and self.rng.random() < 0.85:
            moved = day - _DAYS[weekday - 4]
            if moved >= floor:
                return moved
        return day

    def _phone(self) -> str:
        return f"({self.rng.choice(names.AREA_CODES)}) 555-01{self.rng.randrange(100):02d}"

    def _random_name(
        self, culture: names.Culture | None = None, *, woman: bool | None = None
    ) -> str:
        rng = self.rng
        culture = culture or _LATIN_CULTURE_PICK.pick(rng)
        if woman is None:
            woman = rng.random() < 0.5
        given, _ = rng.choice(culture.women if woman else culture.men)
        masculine, feminine = rng.choice(culture.family)
        return culture.full_name(given, feminine if woman else masculine)

    def _staff_name(self) -> str:
        while True:
            name = self._random_name()
            if name not in self.used_staff_names:
                self.used_staff_names.add(name)
                return name

    # ------------------------------------------------------------------ staff and directory

    def _staff(self) -> None:
        created = self.end - timedelta(days=1100)
        changed = self.end - timedelta(days=1)

        def user(username: str, role: str, supervisor_id: int | None) -> int:
            user_id = self._id("staff_user")
            display = self._staff_name()
            self.rows["staff_user"].append(
                {
                    "id": user_id,
                    "username": username,
                    "display_name": display,
                    "role": role,
                    "is_supervisor": False,
                    "supervisor_id": supervisor_id,
                    "active": True,
                    "password_hash": self.password_hash,
                    "must_change_password": False,
                    "password_changed_at": changed,
                    "failed_logins": 0,
                    "last_failed_login_at": None,
                    "locked_until": None,
                    "last_login_at": None,
                    "version_id": 1,
                    "created_at": created,
                    "updated_at": changed,
                }
            )
            self.usernames.append(username)
            self.staff_names[user_id] = display
            return user_id

        user("admin", "admin", None)
        self.supervisor_id = user("supervisor", "supervisor", None)
        for number in range(1, specialist_count(self.n) + 1):
            peer = user(f"peer{number}", "specialist", self.supervisor_id)
            self.peers.append(peer)
            # Six of every eight specialists write GIRP, the peer default, so
            # even a two-person demo team mostly shows it.
            self.peer_format[peer] = _PEER_FORMATS[number % len(_PEER_FORMATS)]

    def _counselor_rows(self) -> None:
        rng = self.rng
        created = self.end - timedelta(days=900)
        for _ in range(max(20, self.n // 50)):
            counselor_id = self._id("counselor")
            is_org = rng.random() < 0.25
            if is_org:
                name = rng.choice(names.COUNSELOR_ORGANISATIONS)
                organisation = ""
                credentials = rng.choice(
                    (
                        "Licensed outpatient program",
                        "State-licensed treatment program",
                        "Community mental health center",
                    )
                )
                email = f"intake{counselor_id}@{rng.choice(names.EMAIL_DOMAINS)}"
                description = describe_counselor(name, credentials, organisation)
            else:
                name = self._random_name()
                organisation = rng.choice((*names.COUNSELOR_ORGANISATIONS, "Private practice"))
                credentials = rng.choice(names.COUNSELOR_CREDENTIALS)
                email = (
                    f"{_ascii(name)[:20] or 'counselor'}{counselor_id}@"
                    f"{rng.choice(names.EMAIL_DOMAINS)}"
                )
                description = describe_counselor(name, credentials, organisation)
            languages = ["English"]
            if rng.random() < 0.4:
                languages.append(rng.choice(names.COUNSELOR_LANGUAGES))
            accepting = rng.random() < 0.7
            active = rng.random() < 0.95
            self.counselors.append(_Counselor(counselor_id, description, accepting, active))
            self.rows["counselor"].append(
                {
                    "id": counselor_id,
                    "name": name,
                    "is_organisation": is_org,
                    "organisation": organisation,
                    "credentials": credentials,
                    "phone": self._phone(),
                    "email": email,
                    "address": f"{rng.randint(10, 999)} {rng.choice(names.STREETS)}, "
                    f"{rng.choice(names.TOWNS)}",
                    "specialties": ", ".join(
                        rng.sample(names.COUNSELOR_SPECIALTIES, rng.randint(2, 4))
                    ),
                    "languages": ", ".join(languages),
                    "accepting_new_clients": accepting,
                    "notes": ""
                    if rng.random() < 0.7
                    else rng.choice(
                        (
                            "Sliding-scale fees.",
                            "Evening appointments on Tuesdays.",
                            "Takes Medicaid; waitlist about 3 weeks.",
                            "Telehealth available.",
                        )
                    ),
                    "active": active,
                    "version_id": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )

    # ------------------------------------------------------------------ first pass: people

    def _plan_person(self) -> _Person:
        rng = self.rng
        today = self.today
        culture = _CULTURE_PICK.pick(rng)
        woman = rng.random() < 0.45
        given, nickname = rng.choice(culture.women if woman else culture.men)
        family_index = rng.randrange(len(culture.family))
        masculine, feminine = culture.family[family_index]
        legal_name = culture.full_name(given, feminine if woman else masculine)
        roll = rng.random()
        chosen: str | None = None
        if roll < 0.05:
            pronouns: str | None = "they/them"
            chosen = rng.choice(names.CHOSEN_NAMES)
        elif roll < 0.07:
            pronouns = "she/they" if woman else "he/they"
        elif roll < 0.20:
            pronouns = None
        else:
            pronouns = "she/her" if woman else "he/him"
        # People whose legal name is in another script or order usually go by
        # a romanised or short name in an English-speaking program.
        if chosen is None and nickname is not None:
            share = 0.8 if (not culture.latin or culture.family_first) else 0.35
            if rng.random() < share:
                chosen = nickname
        # Notes are written in English: they use the chosen or romanised name.
        if not culture.latin or culture.family_first:
            call_name = chosen or nickname or given
        else:
            call_name = chosen or given
        if pronouns is None or pronouns.startswith("they"):
            pos, obj = "their", "them"
        elif pronouns.startswith("she"):
            pos, obj = "her", "her"
        else:
            pos, obj = "his", "him"

        focus = _FOCUS_PICK.pick(rng)
        intake = today - timedelta(days=rng.randint(365, 1095))
        cadence = _CADENCE_PICK.pick(rng)
        history_start = max(intake, self.window_start)
        roll = rng.random()
        discharge: date | None = None
        discharge_reason: str | None = None
        if roll < 0.07:
            status = profile = "discharged"
            discharge = today - timedelta(days=rng.randint(7, 330))
            discharge_reason = rng.choice(_DISCHARGE_REASONS)
            gap = (
                rng.randint(90, 120)
                if discharge_reason.startswith("No contact")
                else rng.randint(0, 20)
            )
            last = discharge - timedelta(days=gap)
        elif roll < 0.15:
            status = profile = "inactive"
            last = today - timedelta(days=rng.randint(45, 200))
        else:
            status = "active"
            roll = rng.random()
            if roll < 0.75:
                profile = "on_track"
                last = today - timedelta(days=rng.randint(1, max(1, cadence - 2)))
            elif roll < 0.90:
                profile = "overdue"
                last = today - timedelta(days=cadence + rng.randint(1, max(2, cadence)))
            else:
                profile = "long_overdue"
                last = today - timedelta(days=min(180, cadence * 3 + rng.randint(0, 60)))
        last = self._weekday(max(last, history_start), history_start)

        peer = rng.choice(self.peers)
        roll = rng.random()
        assignments: list[tuple[int, date, date | None, str]]
        if roll < 0.01 and status == "active":
            # The unassigned queue: the specialist left and nobody has taken over yet.
            ended = today - timedelta(days=rng.randint(3, 45))
            assignments = [(peer, intake, ended, _UNASSIGNED_REASON)]
            last = min(last, ended)
            profile = "long_overdue" if (today - last).days > 3 * cadence else profile
        elif roll < 0.06 and len(self.peers) > 1:
            transfer = intake + timedelta(days=rng.randint(60, max(61, (today - intake).days - 14)))
            other = rng.choice([p for p in self.peers if p != peer])
            assignments = [
                (peer, intake, transfer, "Intake."),
                (other, transfer, None, rng.choice(_TRANSFER_REASONS)),
            ]
        else:
            assignments = [(peer, intake, None, "Intake.")]

        substance = focus != "mental_health"
        relation = rng.choice(
            names.EMERGENCY_RELATIONS_WOMEN if rng.random() < 0.6 else names.EMERGENCY_RELATIONS_MEN
        )
        ctx = {
            "name": call_name,
            "pos": pos,
            "obj": obj,
            "meeting": rng.choice(_MEETINGS_SU if substance else _MEETINGS_MH),
            "med": rng.choice(
                _MEDS_SU
                if focus == "substance_use"
                else _MEDS_MH
                if focus == "mental_health"
                else _MEDS_SU + _MEDS_MH
            ),
            "relation": relation,
            "goal": "",
            "topic": "",
            "day": "",
            "n": "",
        }
        return _Person(
            id=self._id("participant"),
            culture=culture,
            woman=woman,
            legal_name=legal_name,
            family_index=family_index,
            preferred_name=chosen,
            pronouns=pronouns,
            focus=focus,
            intake=intake,
            status=status,
            discharge=discharge,
            discharge_reason=discharge_reason,
            cadence=cadence,
            profile=profile,
            last_contact=last,
            assignments=assignments,
            ctx=ctx,
        )

    def _plan_groups(self, people: list[_Person]) -> None:
        """Monthly peer-led groups per specialist, attended by their own participants."""
        rng = self.rng
        members: dict[int, list[_Person]] = {peer: [] for peer in self.peers}
        for person in people:
            seen: list[int] = []
            for specialist, _start, _end, _reason in person.assignments:
                if specialist not in seen:
                    seen.append(specialist)
                    members[specialist].append(person)
        for peer in self.peers:
            day = self.window_start + timedelta(days=rng.randint(3, 30))
            while day < self.yesterday:
                # Groups meet Tuesday to Thursday evenings.
                meet = day + timedelta(days=(1 - day.weekday()) % 7 + rng.randint(0, 2))
                if meet >= self.today:
                    break
                eligible = [
                    p
                    for p in members[peer]
                    if p.intake <= meet <= p.last_contact and p.specialist_on(meet) == peer
                ]
                if len(eligible) >= 2:
                    topic = rng.choice(_GROUP_TOPICS)
                    group = _Group(
                        id=self._id("group_session"),
                        facilitator_id=peer,
                        at=_at(meet, rng.randint(21, 22), rng.choice((0, 30))),
                        duration=rng.choice((60, 75, 90)),
                        topic=topic,
                        location=rng.choice(
                            (
                                "Group room, " + names.PROGRAM_NAME,
                                "Community room, public library",
                                "Video group (telehealth)",
                            )
                        ),
                        group_text=(
                            f"{topic}. Opened with a check-in round and the group agreements. "
                            "Members shared experiences and practised skills in pairs; the "
                            "facilitator shared from lived experience where helpful. Closed "
                            "with each member naming one step for the coming week."
                        ),
                    )
                    for person in rng.sample(eligible, min(len(eligible), rng.randint(3, 8))):
                        person.groups.append(group)
                    written = group.at + timedelta(minutes=group.duration + 30)
                    self.rows["group_session"].append(
                        {
                            "id": group.id,
                            "topic": group.topic,
                            "facilitator_id": peer,
                            "occurred_at": group.at,
                            "duration_minutes": group.duration,
                            "location": group.location,
                            "group_text": group.group_text,
                            "version_id": 1,
                            "created_at": written,
                            "updated_at": written,
                        }
                    )
                day += timedelta(days=rng.randint(25, 35))

    # ------------------------------------------------------------------ second pass: rows

    def _emit_person(self, p: _Person) -> None:
        self._participant_rows(p)
        periods = self._plans(p)
        self._notes(p, periods)
        self._assessments(p)
        self._consent_and_referral(p)

    def _family_member(self, p: _Person, relation: str) -> str:
        rng = self.rng
        if relation in ("mother", "sister", "aunt", "daughter", "grandmother"):
            woman = True
        elif relation in ("father", "brother", "uncle", "son", "grandfather"):
            woman = False
        else:
            woman = rng.random() < 0.5
        if relation in (
            "partner",
            "friend",
            "sponsor",
            "friend from the program",
            "neighbor",
            "pastor",
        ):
            name = self._random_name(p.culture if rng.random() < 0.5 else None, woman=woman)
            return f"Pastor {name}" if relation == "pastor" else name
        given, _ = rng.choice(p.culture.women if woman else p.culture.men)
        masculine, feminine = p.culture.family[p.family_index]
        return p.culture.full_name(given, feminine if woman else masculine)

    def _participant_rows(self, p: _Person) -> None:
        rng = self.rng
        today = self.today
        record_time = _at(p.intake, 15)
        # Age 18 at intake at the youngest, 75 today at the oldest.
        oldest = 75 * 365 - (today - p.intake).days
        dob = p.intake - timedelta(days=int(rng.triangular(18 * 366, oldest, 36 * 365)))
        email = None
        if rng.random() < 0.4:
            masculine, feminine = p.culture.family[p.family_index]
            # Scripts with no ASCII form fall back to the romanised name alone.
            parts = [_ascii(p.ctx["name"]), _ascii(feminine if p.woman else masculine)]
            local = ".".join(part for part in parts if part) or "participant"
            email = f"{local}{rng.randint(1, 99)}@{rng.choice(names.EMAIL_DOMAINS)}"
        roll = rng.random()
        if roll < 0.05:
            address: str | None = f"No fixed address; staying at {rng.choice(names.SHELTERS)}"
        elif roll < 0.15:
            address = None
        else:
            apt = f", Apt {rng.randint(1, 24)}{rng.choice('ABCD')}" if rng.random() < 0.5 else ""
            address = (
                f"{rng.randint(2, 980)} {rng.choice(names.STREETS)}{apt}\n{rng.choice(names.TOWNS)}"
            )
        emergency_name = emergency_phone = None
        if rng.random() < 0.8:
            relation = p.ctx["relation"]
            emergency_name = f"{self._family_member(p, relation)} ({relation})"
            emergency_phone = self._phone()
        if rng.random() < 0.01:
            language = "American Sign Language"
        elif rng.random() < p.culture.language_share:
            language = p.culture.language
        else:
            language = "English"

        recovery_start: date | None = None
        updated = record_time
        if rng.random() < (0.6 if p.focus == "mental_health" else 0.93):
            first = min(p.intake + timedelta(days=rng.randint(-400, 30)), today - timedelta(days=3))
            changes: list[tuple[date | None, date, date, str]] = [
                (None, first, max(first, p.intake), "Recovery start date recorded at intake.")
            ]
            if p.focus != "mental_health" and rng.random() < 0.1:
                latest = min(self.yesterday, p.last_contact)
                if (latest - first).days > 60:
                    reset = first + timedelta(days=rng.randint(60, (latest - first).days))
                    changes.append((first, reset, reset, rng.choice(_RESET_NOTES)))
            for previous, new, on, note in changes:
                changed_at = _at(on, rng.randint(14, 21), rng.randrange(0, 60, 5))
                self.rows["recovery_start_change"].append(
                    {
                        "id": self._id("recovery_start_change"),
                        "participant_id": p.id,
                        "previous_date": previous,
                        "new_date": new,
                        "note": note,
                        "changed_at": changed_at,
                        "changed_by_id": p.specialist_on(on),
                    }
                )
                updated = max(updated, changed_at)
            recovery_start = changes[-1][1]
        if p.discharge is not None:
            updated = max(updated, _at(p.discharge, 20))

        self.rows["participant"].append(
            {
                "id": p.id,
                "record_number": f"R-{p.id:06d}",
                "legal_name": p.legal_name,
                "preferred_name": p.preferred_name,
                "pronouns": p.pronouns,
                "date_of_birth": dob,
                "phone": self._phone() if rng.random() < 0.92 else None,
                "email": email,
                "address": address,
                "emergency_contact_name": emergency_name,
                "emergency_contact_phone": emergency_phone,
                "preferred_language": language,
                "recovery_focus": p.focus,
                "recovery_start_date": recovery_start,
                "intake_date": p.intake,
                "status": p.status,
                "discharge_date": p.discharge,
                "discharge_reason": p.discharge_reason,
                "contact_cadence_days": p.cadence,
                "version_id": 1,
                "created_at": record_time,
                "updated_at": updated,
            }
        )
        for specialist, start, end, reason in p.assignments:
            self.rows["case_assignment"].append(
                {
                    "id": self._id("case_assignment"),
                    "participant_id": p.id,
                    "specialist_id": specialist,
                    "start_date": start,
                    "end_date": end,
                    "reason": reason,
                    "created_at": _at(start, 14),
                    "created_by_id": self.supervisor_id,
                }
            )

    # ------------------------------------------------------------------ recovery plans

    def _goal_spec(self, p: _Person, domain: str, taken: list[str]) -> _GoalSpec:
        pool = _GOALS[_WELLNESS_TO_SAMHSA.get(domain, domain)]
        wrong = "mh" if p.focus == "substance_use" else "su" if p.focus == "mental_health" else ""
        choices = [g for g in pool if g[0] != wrong and g[1] not in taken]
        return self.rng.choice(choices or pool)

    def _plan_text(self, p: _Person, supports: list[tuple[str, str, str]]) -> Row:
        rng = self.rng

        def lines(pool: tuple[str, ...], low: int, high: int) -> str:
            return "\n".join(rng.sample(pool, rng.randint(low, high)))

        support = supports[0] if supports else None
        call = (
            f"call my {support[1]} {support[0]} at {support[2]}"
            if support
            else "call my peer specialist"
        )
        crisis = (
            f"If I am in crisis: call or text 988 with me, and {call}. "
            f"Please take me to {rng.choice(_CRISIS_HOSPITALS)} if I need a hospital. "
            f"What helps: {', '.join(rng.sample(_CRISIS_HELPS, 2))}. "
            f"What makes it worse: {', '.join(rng.sample(_CRISIS_WORSE, 2))}."
        )
        if p.focus != "mental_health":
            crisis += f" If I overdose: naloxone is in {rng.choice(_NALOXONE_PLACES)}; call 911."
        return {
            "strengths": lines(_STRENGTHS, 2, 4),
            "barriers": lines(_BARRIERS, 1, 3),
            "triggers": lines(_TRIGGERS, 2, 4),
            "early_warning_signs": lines(_WARNING_SIGNS, 2, 4),
            "coping_strategies": lines(_COPING, 3, 5),
            "crisis_plan": crisis,
        }

    def _plans(self, p: _Person) -> list[_PlanPeriod]:
        """Plan versions, goals, ratings, steps and supports; returns when each plan's goals
        were the active ones, so notes can address them."""
        rng = self.rng
        today = self.today
        domain_set = "wellness8" if rng.random() < 0.05 else "samhsa4"
        domains = _WELLNESS_DOMAINS if domain_set == "wellness8" else _SAMHSA_DOMAINS
        latest = min(today - timedelta(days=2), p.last_contact)
        if p.discharge is not None:
            latest = min(latest, p.discharge)
        floor = p.intake + timedelta(days=14)
        # Most plans were agreed or reviewed in the last three months; the rest
        # have a review date in the past, which the caseload shows as overdue.
        back = rng.randint(95, 260) if rng.random() < 0.15 else rng.randint(3, 85)
        current = max(min(today - timedelta(days=back), latest), floor)
        activations = [current]
        if rng.random() < 0.2:
            first = max(
                current - timedelta(days=rng.randint(90, 270)), p.intake + timedelta(days=7)
            )
            if (current - first).days >= 30:
                activations.insert(0, first)

        supports = []
        for _ in range(rng.randint(1, 3)):
            relation = rng.choice(_SUPPORT_RELATIONS)
            supports.append((self._family_member(p, relation), relation, self._phone()))
        text_fields = self._plan_text(p, supports)

        periods: list[_PlanPeriod] = []
        previous: list[tuple[_GoalRef, _GoalSpec]] = []
        for version, activated in enumerate(activations, start=1):
            superseded = activations[version] if version < len(activations) else None
            goals = self._plan_version(
                p,
                version,
                "superseded" if superseded else "active",
                domain_set,
                domains,
                activated,
                superseded,
                previous,
                text_fields,
                supports,
            )
            periods.append(_PlanPeriod(activated, superseded, [g for g, _ in goals]))
            previous = goals
            if version == 1 and superseded is not None:
                # A revision usually adds a coping idea learnt since the first version.
                text_fields = dict(text_fields)
                text_fields["coping_strategies"] += "\n" + rng.choice(_COPING)
        if rng.random() < 0.03 and latest >= today - timedelta(days=30):
            self._plan_version(
                p,
                len(activations) + 1,
                "draft",
                domain_set,
                domains,
                max(latest, activations[-1]),
                None,
                previous,
                text_fields,
                supports,
            )
        return periods

    def _plan_version(
        self,
        p: _Person,
        version: int,
        status: str,
        domain_set: str,
        domains: tuple[str, ...],
        activated: date,
        superseded: date | None,
        previous: list[tuple[_GoalRef, _GoalSpec]],
        text_fields: Row,
        supports: list[tuple[str, str, str]],
    ) -> list[tuple[_GoalRef, _GoalSpec]]:
        rng = self.rng
        plan_id = self._id("recovery_plan")
        author = p.specialist_on(activated)
        draft = status == "draft"
        created = _at(activated - timedelta(days=0 if draft else rng.randint(0, 10)), 15)
        activated_at = None if draft else _at(activated, rng.randint(15, 21))
        superseded_at = _at(superseded, 16) if superseded else None
        self.rows["recovery_plan"].append(
            {
                "id": plan_id,
                "participant_id": p.id,
                "version": version,
                "status": status,
                "domain_set": domain_set,
                "created_by_id": author,
                "activated_at": activated_at,
                "superseded_at": superseded_at,
                "review_date": None if draft else activated + timedelta(days=90),
                **text_fields,
                "agreement_date": None if draft else activated,
                "agreement_signed_on_paper": not draft and rng.random() < 0.3,
                "version_id": 1,
                "created_at": created,
                "updated_at": superseded_at or activated_at or created,
                "entered_in_error_at": None,
                "entered_in_error_reason": None,
                "entered_in_error_by_id": None,
            }
        )
        for position, (name, relation, phone) in enumerate(supports):
            self.rows["plan_support"].append(
                {
                    "id": self._id("plan_support"),
                    "plan_id": plan_id,
                    "position": position,
                    "name": name,
                    "relationship_to_participant": relation,
                    "phone": phone,
                }
            )

        # Goals: a revision carries most goals over (linked to the earlier goal)
        # and replaces the rest; a first version picks 2-4 domains.
        wanted: list[tuple[str, _GoalSpec, int | None]] = []
        taken: list[str] = []
        if previous:
            for ref, spec in previous:
                if rng.random() < 0.7:
                    wanted.append((ref.domain, spec, ref.id))
                else:
                    wanted.append((ref.domain, self._goal_spec(p, ref.domain, taken), None))
                taken.append(wanted[-1][1][1])
        else:
            for domain in rng.sample(domains, rng.randint(2, min(4, len(domains)))):
                spec = self._goal_spec(p, domain, taken)
                wanted.append((domain, spec, None))
                taken.append(spec[1])

        period_end = superseded or min(self.yesterday, max(p.last_contact, activated))
        out: list[tuple[_GoalRef, _GoalSpec]] = []
        for position, (domain, spec, origin) in enumerate(wanted):
            goal_id = self._id("goal")
            if draft:
                goal_status = "not_started"
            elif superseded is not None:
                goal_status = (
                    "in_progress"
                    if rng.random() < 0.7
                    else rng.choice(("achieved", "achieved", "discontinued"))
                )
            else:
                goal_status = _GOAL_STATUS_PICK.pick(rng)
            _tag, statement, target, steps = spec
            self.rows["goal"].append(
                {
                    "id": goal_id,
                    "plan_id": plan_id,
                    "origin_goal_id": origin,
                    "position": position,
                    "domain": domain,
                    "statement": statement,
                    "measurable_target": target,
                    "target_date": activated + timedelta(days=rng.randint(60, 270)),
                    "status": goal_status,
                }
            )
            out.append((_GoalRef(goal_id, domain, statement), spec))
            if not draft:
                self._ratings(p, goal_id, goal_status, activated, period_end)
            for step_position, (what, who, who_name) in enumerate(
                steps[: rng.randint(1, len(steps))]
            ):
                if draft:
                    due = self.today + timedelta(days=rng.randint(7, 60))
                    done = None
                else:
                    due = activated + timedelta(days=rng.randint(7, 90))
                    done = None
                    if goal_status == "achieved" or (due < self.today and rng.random() < 0.5):
                        done = due + timedelta(days=rng.randint(-10, 10))
                        done = min(max(done, activated), self.yesterday)
                if who == "specialist":
                    who_name = self.staff_names[p.specialist_on(min(due, self.today))]
                self.rows["action_step"].append(
                    {
                        "id": self._id("action_step"),
                        "goal_id": goal_id,
                        "position": step_position,
                        "description": what,
                        "responsible": who,
                        "responsible_name": who_name,
                        "due_date": due,
                        "done_date": done,
                    }
                )
        return out

    def _ratings(self, p: _Person, goal_id: int, goal_status: str, start: date, end: date) -> None:
        rng = self.rng
        span = max(0, (end - start).days)
        count = rng.randint(1, 4)
        days = sorted(rng.randint(0, span) for _ in range(count))
        rating = 0 if goal_status == "not_started" else rng.randint(0, 3)
        for index, offset in enumerate(days):
            day = start + timedelta(days=offset)
            if index:
                step = rng.randint(-1, 3)
                if goal_status in ("on_hold", "discontinued"):
                    step = rng.randint(-2, 1)
                elif goal_status == "not_started":
                    step = 0
                rating = min(10, max(0, rating + step))
                trend = "up" if step > 0 else "down" if step < 0 else "flat"
            else:
                trend = "flat"
            if goal_status == "achieved" and index == count - 1:
                rating = rng.randint(9, 10)
                trend = "up"
            self.rows["goal_rating"].append(
                {
                    "id": self._id("goal_rating"),
                    "goal_id": goal_id,
                    "rated_at": self._time_on(day),
                    "rated_by_id": p.specialist_on(day),
                    "rating": rating,
                    "comment": rng.choice(_RATING_COMMENTS[trend]),
                    "entered_in_error_at": None,
                    "entered_in_error_reason": None,
                    "entered_in_error_by_id": None,
                }
            )

    # ------------------------------------------------------------------ session notes

    def _contact_days(self, p: _Person) -> list[date]:
        """Days of real contacts: the most recent few follow the cadence, earlier ones
        are spread unevenly over the year (people miss weeks, then come back)."""
        rng = self.rng
        start = max(p.intake, self.window_start)
        last = p.last_contact
        base = {3: (24, 40), 7: (12, 28), 14: (8, 18), 30: (5, 11)}[p.cadence]
        wanted = rng.randint(*base)
        if self.contact_scale != 1.0:
            wanted = max(1, round(wanted * self.contact_scale))
        span = (last - start).days
        wanted = max(1, round(wanted * min(1.0, span / 365)))
        recent: list[date] = []
        day = last
        low, high = max(1, round(p.cadence * 0.7)), max(1, round(p.cadence * 1.25))
        while len(recent) < min(wanted, rng.randint(3, 6)) and day >= start:
            recent.append(day if not recent else self._weekday(day, start))
            day -= _DAYS[rng.randint(low, high)]
        earliest = recent[-1]
        earlier_span = (earliest - start).days
        earlier = (
            []
            if earlier_span <= 0
            else [
                self._weekday(start + _DAYS[rng.randrange(earlier_span)], start)
                for _ in range(wanted - len(recent))
            ]
        )
        return earlier + recent

    def _outreach_days(self, p: _Person) -> list[date]:
        rng = self.rng
        start = max(p.intake, self.window_start)
        days: list[date] = []
        # Attempts after contact stopped, which is what overdue looks like; for
        # someone in the unassigned queue only while their specialist was there.
        if p.profile in ("overdue", "long_overdue", "inactive"):
            first = p.last_contact + timedelta(days=p.cadence)
            ended = p.assignments[-1][2]
            until = self.yesterday if ended is None else min(self.yesterday, ended - _DAYS[1])
            span = (until - first).days
            if span >= 0:
                days += [first + _days(rng.randint(0, span)) for _ in range(rng.randint(1, 3))]
        span = (p.last_contact - start).days
        if span > 0:
            days += [start + _days(rng.randrange(span)) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
        return days

    def _notes(self, p: _Person, periods: list[_PlanPeriod]) -> None:
        rng = self.rng
        events: list[tuple[datetime, str, _Group | None]] = []
        for day in self._contact_days(p):
            events.append((self._time_on(day), _CONTACT_KIND_PICK.pick(rng), None))
        for day in self._outreach_days(p):
            events.append((self._time_on(day), "outreach", None))
        for attended in p.groups:
            events.append((attended.at, "group", attended))
        events.sort(key=lambda event: event[0])
        for at, kind, group in events:
            self._note(p, at, kind, group, periods)

    def _note(
        self, p: _Person, at: datetime, kind: str, group: _Group | None, periods: list[_PlanPeriod]
    ) -> None:
        rng = self.rng
        rand = rng.random
        choice = rng.choice
        day = at.date()
        author = group.facilitator_id if group is not None else p.specialist_on(day)
        fmt = self.peer_format[author] if rand() < 0.9 else _FORMAT_PICK.pick(rng)
        # One person's notes are built one after another, so their context
        # dict is simply updated in place for each note.
        ctx = p.ctx
        ctx["day"] = choice(_WEEKDAYS)
        ctx["n"] = choice(_SMALL_NUMBERS)
        ctx["goal"] = ""
        note_id = self._id("session_note")
        mark = _MARK_PICK.pick(rng)
        risk: str | None = None
        goal_marks: list[tuple[int, str]] = []

        if group is not None:
            topic = _GROUP
            ctx["topic"] = group.topic
            goal_line = choice(topic.goal)
            duration, location = group.duration, group.location
            mode = "video" if location.startswith("Video") else "in_person"
        else:
            if kind == "outreach":
                topic = _OUTREACH
                goal_line = choice(topic.goal)
            elif kind == "collateral":
                topic = _COLLATERAL
                goal_line = choice(topic.goal)
            else:
                goals: list[_GoalRef] | None = None
                for period in periods:
                    if period.start <= day and (period.end is None or day < period.end):
                        goals = period.goals
                mental_health = p.focus == "mental_health"
                if goals and rand() < 0.7:
                    goal = choice(goals)
                    ctx["goal"] = goal.statement
                    topic = _TOPICS[choice(_TOPIC_OPTIONS[mental_health, goal.domain])]
                    goal_line = choice(_GOAL_LINK)
                    goal_marks.append((goal.id, mark))
                else:
                    topic = _TOPICS[choice(_MH_TOPICS if mental_health else _ALL_TOPICS)]
                    goal_line = choice(topic.goal)
                if rand() < 0.008:
                    risk = _RISK_PICK.pick(rng)
            mode = _MODE_PICK[kind].pick(rng)
            duration = choice(_DURATIONS[kind])
            if mode == "in_person":
                location = choice(_IN_PERSON_LOCATIONS)
                if kind == "outreach":
                    duration = 30
            else:
                location = _REMOTE_LOCATIONS[mode]

        intervention = choice(topic.intervention)
        if kind == "check_in":
            intervention = choice(_CHECK_IN) + " " + intervention
        elif kind == "individual" and rand() < 0.35:
            extra = choice(topic.intervention)
            if extra != intervention:
                intervention += " " + extra
        response = choice(topic.response)
        plan = choice(topic.plan)
        if risk is not None:
            response += " " + _RISKS[risk][0]
            plan = _RISKS[risk][1] + " " + plan
        sections: dict[str, str]
        if group is not None:
            # As the notes service stores them: the attendee's own paragraph
            # first, then the format's sections (optional for a group note).
            first, *middle, last = _FORMAT_KEYS[fmt]
            sections = {
                "individual": response,
                first: goal_line,
                **dict.fromkeys(middle, ""),
                last: plan,
            }
            if fmt == "GIRP":
                sections["intervention"] = intervention
        elif fmt == "GIRP":
            sections = {
                "goal": goal_line,
                "intervention": intervention,
                "response": response,
                "plan": plan,
            }
        else:
            if kind == "outreach":
                assessment = choice(_OUTREACH_ASSESS)
            elif kind == "collateral":
                assessment = _COLLATERAL_ASSESS
            else:
                assessment = choice(_ASSESS[mark])
            said = choice(topic.said)
            if fmt == "DAP":
                sections = {
                    "data": f"{said} {intervention} {response}",
                    "assessment": assessment,
                    "plan": plan,
                }
            else:
                observed = (
                    intervention
                    if kind == "outreach"
                    else f"{choice(_OBSERVE)} {intervention} {response}"
                )
                sections = {
                    "subjective": said,
                    "objective": observed,
                    "assessment": assessment,
                    "plan": plan,
                }
        for key, value in sections.items():
            sections[key] = value.format_map(ctx)
        # The search text, laid out as the notes service composes it.
        body = "\n\n".join(
            [group.topic, group.group_text, *filter(None, sections.values())]
            if group is not None
            else sections.values()
        )

        latest = self.latest
        written = at + _MINUTES[duration + rng.randint(5, 60)]
        signed_at: datetime | None = None
        if day >= self.drafts_from and rand() < 0.3:
            written = min(written, latest)  # a recent draft, not yet signed
        else:
            roll = rand()
            delay = (
                _MINUTES[rng.randint(0, 180)]
                if roll < 0.7
                else _MINUTES[60 * rng.randint(12, 30)]
                if roll < 0.95
                else _DAYS[rng.randint(2, 4)]
            )
            signed_at = min(written + delay, latest)
            written = min(written, signed_at)
        error_at = error_reason = None
        error_by = None
        if signed_at is not None and rand() < 0.001:
            error_at = min(signed_at + _DAYS[1], latest)
            error_reason = "Documented on the wrong date; re-entered with the correct date."
            error_by = author
        row: Row = {
            "id": note_id,
            "participant_id": p.id,
            "author_id": author,
            "group_session_id": group.id if group is not None else None,
            "kind": kind,
            "occurred_at": at,
            "duration_minutes": duration,
            "mode": mode,
            "location": location,
            "format": fmt,
            "sections": sections,
            "body": body,
            "risk_flags": [risk] if risk else [],
            "status": "draft",
            "signed_at": None,
            "signed_by_id": None,
            "content_hash": None,
            "cosigned_at": None,
            "cosigned_by_id": None,
            "version_id": 1,
            "created_at": written,
            "updated_at": written,
            "entered_in_error_at": error_at,
            "entered_in_error_reason": error_reason,
            "entered_in_error_by_id": error_by,
        }
        self.rows["session_note"].append(row)
        for goal_id, goal_mark in goal_marks:
            self.rows["note_goal"].append(
                {
                    "id": self._id("note_goal"),
                    "note_id": note_id,
                    "goal_id": goal_id,
                    "mark": goal_mark,
                }
            )
        if signed_at is None:
            return
        note_hash = content_digest(note_payload(SimpleNamespace(**row), goal_marks, group))
        row["signed_at"] = row["updated_at"] = signed_at
        row["signed_by_id"] = author
        row["content_hash"] = note_hash
        if goal_marks:
            # A trigger refuses goals on a signed note, so this note is written
            # as a draft and signed once its goals are in (see _write).
            self.sign_later.append(note_id)
        else:
            row["status"] = "signed"
        if error_at is None and rand() < 0.004:
            reason, addendum_text = choice(_ADDENDA)
            addendum: Row = {
                "id": self._id("note_addendum"),
                "note_id": note_id,
                "author_id": author,
                "created_at": min(signed_at + _MINUTES[60 * rng.randint(1, 72)], latest),
                "reason": reason,
                "text": addendum_text.format_map(ctx),
            }
            addendum["content_hash"] = addendum_hash(note_hash, SimpleNamespace(**addendum))
            self.rows["note_addendum"].append(addendum)

    # ------------------------------------------------------------------ outcome measures

    def _assessments(self, p: _Person) -> None:
        rng = self.rng
        if rng.random() >= 0.85:
            return
        instruments = {
            "substance_use": ("BARC-10",),
            "mental_health": ("PHQ-9", "GAD-7"),
            "co_occurring": ("BARC-10", "PHQ-9", "GAD-7"),
        }[p.focus]
        start = max(p.intake, self.window_start)
        day = self._weekday(start + timedelta(days=rng.randint(0, 40)), start)
        stop = min(p.last_contact, self.yesterday)
        # Latent severity (PHQ/GAD) and recovery capital (BARC) drift towards
        # recovery on average, with noise and some people getting worse.
        depression = rng.uniform(0.25, 0.85)
        anxiety = min(0.95, max(0.05, depression + rng.uniform(-0.2, 0.2)))
        capital = rng.uniform(0.25, 0.75)
        trend = rng.gauss(0.04, 0.05)
        while day <= stop:
            at = self._time_on(day)
            specialist = p.specialist_on(day)
            for code in instruments:
                if code == "PHQ-9" and p.focus == "substance_use" and rng.random() < 0.6:
                    continue
                answers = self._answers(code, depression, anxiety, capital)
                result = score(code, answers)
                self.rows["assessment"].append(
                    {
                        "id": self._id("assessment"),
                        "participant_id": p.id,
                        "instrument": code,
                        "answers": answers,
                        "total": result.total,
                        "band": result.band,
                        "flags": list(result.flags),
                        "administered_at": at,
                        "administered_by_id": specialist,
                        "recorded_at": at + timedelta(minutes=rng.randint(5, 30)),
                        "entered_in_error_at": None,
                        "entered_in_error_reason": None,
                        "entered_in_error_by_id": None,
                    }
                )
            depression = min(0.98, max(0.02, depression - trend + rng.gauss(0, 0.05)))
            anxiety = min(0.98, max(0.02, anxiety - trend + rng.gauss(0, 0.05)))
            capital = min(0.98, max(0.02, capital + 0.8 * trend + rng.gauss(0, 0.04)))
            day = self._weekday(day + timedelta(days=rng.randint(30, 90)), day)

    def _answers(self, code: str, depression: float, anxiety: float, capital: float) -> list[int]:
        # Each item is the latent level plus uniform noise of about +/-1 step
        # (cheaper than Gaussian noise and just as plausible for demo answers).
        rand = self.rng.random
        if code == "BARC-10":
            level = 1.5 + capital * 5 - 1.0
            return [min(6, max(1, int(level + 2.0 * rand()))) for _ in range(10)]
        if code == "GAD-7":
            level = anxiety * 3 - 0.5
            return [min(3, max(0, int(level + 2.0 * rand()))) for _ in range(7)]
        level = depression * 3 - 0.5
        answers = [min(3, max(0, int(level + 2.0 * rand()))) for _ in range(8)]
        # Item 9 (thoughts of self-harm) is rarely above 0, more often when low.
        item9 = 0
        if rand() < 0.05 * depression:
            item9 = 2 if depression > 0.7 and rand() < 0.3 else 1
        return [*answers, item9]

    # ------------------------------------------------------------------ consents and referrals

    def _consent_and_referral(self, p: _Person) -> None:
        rng = self.rng
        if rng.random() >= 0.6:
            return
        active = [c for c in self.counselors if c.active]
        accepting = [c for c in active if c.accepting]
        counselor = rng.choice(
            accepting if accepting and rng.random() < 0.85 else active or self.counselors
        )
        today = self.today
        latest_sign = min(self.yesterday - timedelta(days=2), p.last_contact)
        signed = max(p.intake, latest_sign - _days(rng.randint(0, 200)))
        kind = _CONSENT_KIND_PICK.pick(rng)
        expires: date | None = None
        revoked: date | None = None
        event = ""
        # Status is derived from the dates (consents.consent_status): expired
        # from the expiration day on, revoked from the revocation day on.
        if kind == "expired":
            expires = today - _days(rng.randint(0, 120))
            signed = max(p.intake, min(signed, expires - _days(rng.randint(60, 365))))
            if signed >= expires:
                kind = "active"
        if kind == "active":
            expires = signed + _days(365)
            if expires <= today + _days(30):
                expires = today + _days(rng.randint(31, 120))
        elif kind == "expiring":
            expires = today + _days(rng.randint(1, 30))
        elif kind == "revoked":
            expires = signed + _days(365)
            room = (min(today, expires - _days(1)) - signed).days
            if room < 1:
                expires = max(expires, today + _days(31))
            else:
                revoked = signed + _days(rng.randint(1, room))
        elif kind == "event":
            event = f"When the referral to {counselor.description} is closed"
        # Contact details and the reason for referral always; more by choice.
        optional = [
            code
            for code in _OPTIONAL_CATEGORIES
            if p.focus != "mental_health" or code != "substance_use"
        ]
        chosen = {"contact_details", "referral_reason", *rng.sample(optional, rng.randint(1, 3))}
        categories = [code for code in INFORMATION_CATEGORIES if code in chosen]
        proxy = rng.random() < 0.03
        consent_id = self._id("consent")
        signed_at = _at(signed, 16)
        purpose = (
            "Coordination of care: referral to counseling and follow-up on whether the "
            "referral was completed."
        )
        self.rows["consent"].append(
            {
                "id": consent_id,
                "participant_id": p.id,
                "patient_name": p.legal_name,
                "discloser": f"{names.PROGRAM_NAME}, peer support program",
                "information": _describe_categories(categories),
                "information_categories": ",".join(categories),
                "recipient_counselor_id": counselor.id,
                "recipient_description": counselor.description,
                "purpose": purpose,
                "revocation_statement": STANDARD_REVOCATION_STATEMENT,
                "expires_on": expires,
                "expiration_event": event,
                "signed_by": self._family_member(p, "mother") if proxy else p.legal_name,
                "signer_relationship": "guardian" if proxy else "self",
                "signed_on": signed,
                "created_by_id": p.specialist_on(signed),
                "revoked_on": revoked,
                "revocation_note": "Participant asked to stop sharing information."
                if revoked
                else "",
                "version_id": 1,
                "created_at": signed_at,
                "updated_at": _at(revoked, 16) if revoked else signed_at,
                "entered_in_error_at": None,
                "entered_in_error_reason": None,
                "entered_in_error_by_id": None,
            }
        )
        if rng.random() < 0.5:
            self._referral(p, consent_id, counselor, categories, purpose, signed, expires, revoked)

    def _referral(
        self,
        p: _Person,
        consent_id: int,
        counselor: _Counselor,
        categories: list[str],
        purpose: str,
        signed: date,
        expires: date | None,
        revoked: date | None,
    ) -> None:
        rng = self.rng
        status = _REFERRAL_STATUS_PICK.pick(rng)
        # A referral leaves draft only while its consent is in force: up to the
        # day before it expires or is revoked.
        valid_until = self.yesterday
        if expires is not None:
            valid_until = min(valid_until, expires - _days(1))
        if revoked is not None:
            valid_until = min(valid_until, revoked - _days(1))
        if valid_until < signed:
            status = "draft"
        elif valid_until < self.yesterday and status not in _CLOSED_REFERRAL:
            # The consent has ended since: the referral was closed while it held.
            status = rng.choice(("completed", "cancelled", "failed"))
        path = _REFERRAL_PATHS[status]
        if len(path) > 1 and rng.random() < 0.5 and status in ("cancelled", "failed"):
            # Some end after acceptance rather than straight after sending.
            path = ("draft", "requested", "accepted", status)
        latest = self.latest
        if status == "draft":
            created_day = min(max(p.intake, self.today - _days(rng.randint(1, 20))), self.yesterday)
            times = [self._time_on(created_day)]
        else:
            room = (valid_until - signed).days
            sent_day = signed + _days(rng.randint(0, room))
            created_day = max(p.intake, sent_day - _days(rng.randint(0, 3)))
            times = [self._time_on(created_day)]
            times.append(max(self._time_on(sent_day), times[0] + _MINUTES[5]))
            for _ in path[2:]:
                step_day = min(times[-1].date() + _days(rng.randint(3, 21)), self.yesterday)
                times.append(max(self._time_on(step_day), times[-1] + _MINUTES[5]))
            # Stepping past midnight must not put an event in the future.
            times = [min(t, latest) for t in times]
        reasons = (
            _REFERRAL_REASONS[
                "su"
                if p.focus == "substance_use"
                else "mh"
                if p.focus == "mental_health"
                else rng.choice(("su", "mh"))
            ]
            + _REFERRAL_REASONS["any"]
        )
        reason = rng.choice(reasons)
        # What the referral shares is always within what the consent allows.
        extra = [c for c in categories if c not in ("contact_details", "referral_reason")]
        picked = {
            "contact_details",
            "referral_reason",
            *rng.sample(extra, rng.randint(0, len(extra))),
        }
        shared = [code for code in categories if code in picked]
        information = _describe_categories(shared)
        referral_id = self._id("referral")
        last_time = times[-1]
        outcome, outcome_note = None, ""
        if status in _CLOSED_REFERRAL:
            outcome = rng.choice(_REFERRAL_OUTCOMES[status])
            if outcome == "other":
                outcome_note = rng.choice(_OTHER_OUTCOME_NOTES[status])
        urgency = _URGENCY_PICK.pick(rng)
        follow_up = None
        if status in _OPEN_REFERRAL:
            # Due by urgency when sent; pushed out by each later step.
            follow_up = (
                times[1].date() + _days(_FOLLOW_UP_DAYS[urgency])
                if len(times) == 2
                else last_time.date() + _days(rng.randint(7, 21))
            )
        sent_at = times[1] if len(times) > 1 else None
        self.rows["referral"].append(
            {
                "id": referral_id,
                "participant_id": p.id,
                "counselor_id": counselor.id,
                "reason": reason,
                "urgency": urgency,
                "information_shared": information,
                "information_categories": ",".join(shared),
                "consent_id": None if status == "draft" else consent_id,
                "status": status,
                "created_by_id": p.specialist_on(times[0].date()),
                "sent_at": sent_at,
                "follow_up_on": follow_up,
                "closed_at": last_time if status in _CLOSED_REFERRAL else None,
                "outcome": outcome,
                "outcome_note": outcome_note,
                "version_id": 1,
                "created_at": times[0],
                "updated_at": last_time,
            }
        )
        for index, (to_status, at) in enumerate(zip(path, times, strict=True)):
            if to_status == "draft":
                note = "Referral drafted with the participant."
            elif index == len(path) - 1 and outcome_note:
                note = outcome_note
            else:
                note = rng.choice(_REFERRAL_NOTES[to_status])
            self.rows["referral_event"].append(
                {
                    "id": self._id("referral_event"),
                    "referral_id": referral_id,
                    "occurred_at": at,
                    "by_id": p.specialist_on(at.date()),
                    "from_status": path[index - 1] if index else None,
                    "to_status": to_status,
                    "note": note,
                }
            )
        if sent_at is not None:
            # As referrals.send_referral records it, with the §2.32 notice.
            self.rows["disclosure"].append(
                {
                    "id": self._id("disclosure"),
                    "participant_id": p.id,
                    "consent_id": consent_id,
                    "referral_id": referral_id,
                    "disclosed_at": sent_at,
                    "disclosed_by_id": p.specialist_on(sent_at.date()),
                    "recipient": counselor.description,
                    "information": f"{information}\nCategories: {format_categories(shared)}",
                    "purpose": purpose,
                    "notice_included": True,
                }
            )

    # ------------------------------------------------------------------ the whole run

    def run(self) -> SeedSummary:
        self._check_cancelled()
        self._start_ids()
        if self.progress is not None:
            self.progress(0, self.n)
        self._staff()
        self._counselor_rows()
        people = [self._plan_person() for _ in range(self.n)]
        self._plan_groups(people)
        self._flush()
        for start in range(0, self.n, CHUNK_PARTICIPANTS):
            self._check_cancelled()
            for person in people[start : start + CHUNK_PARTICIPANTS]:
                self._emit_person(person)
                # The group list is only needed while writing this person's notes.
                person.groups = []
            self._flush()
            if self.progress is not None:
                self.progress(min(self.n, start + CHUNK_PARTICIPANTS), self.n)
        self._fix_sequences()
        summary = SeedSummary(
            **{_SUMMARY_FIELDS[name]: count for name, count in self.counts.items()},
            usernames=tuple(self.usernames),
        )
        audit.record(
            self.session,
            user_id=None,
            username="demo",
            action="demo_seed",
            details={**summary.counts(), "seed": self.seed, "today": self.today.isoformat()},
        )
        return summary

    def _fix_sequences(self) -> None:
        # PostgreSQL sequences do not see explicit ids; move them past the
        # seeded rows so the next normal insert does not collide.
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for name in _TABLE_ORDER:
            if self.counts[name]:
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )


def _contact_scale(notes: int, participants: int) -> float:
    """The contact multiplier that gives about *notes* notes for *participants*.

    Per participant the seeder writes about 17.8 notes of real contacts, which
    the multiplier scales, plus about 3 outreach and group notes, which it does
    not; every participant keeps at least one contact.
    """
    contacts = notes - participants * _OTHER_NOTES_PER_PARTICIPANT
    return max(0.05, contacts / (participants * _CONTACT_NOTES_PER_PARTICIPANT))


def seed_demo(
    session: Session,
    *,
    participants: int,
    seed: int = 1,
    password_hash: str,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    notes: int | None = None,
) -> SeedSummary:
    """Fill an empty database with a synthetic clinic, inside the caller's unit of work.

    Never commits: the caller's ``session_scope`` commits on success and rolls
    everything back on failure or cancellation, so nothing is half-written.
    ``password_hash`` is shared by every demo account (hash once, outside).
    ``progress(done, total)`` counts participants written; ``cancelled()`` is
    polled between chunks and stops the run with ``CasebookError``.
    ``notes`` asks for about that many session notes in all instead of a year
    of contacts at each participant's cadence (about 21 each); the benchmark
    uses it to vary the note volume independently of the caseload size.
    """
    if not 0 <= participants <= MAX_PARTICIPANTS:
        raise ValidationError(
            {
                "participants": tr("the number of participants must be between 0 and {max}").format(
                    max=MAX_PARTICIPANTS
                )
            }
        )
    existing_people = session.scalar(select(func.count()).select_from(Participant)) or 0
    existing_staff = session.scalar(select(func.count()).select_from(StaffUser)) or 0
    if existing_people or existing_staff:
        raise ValidationError(
            {
                "database": tr(
                    "demo data can only be added to an empty database, and this one already has "
                    "{people} participants and {staff} staff accounts; create a new database with "
                    "'casebook db init --db NEW_FILE' and seed that"
                ).format(people=existing_people, staff=existing_staff)
            }
        )
    if notes is not None and notes < 0:
        raise ValidationError({"notes": tr("the number of notes cannot be negative")})
    seeder = _Seeder(
        session,
        participants=participants,
        seed=seed,
        password_hash=password_hash,
        today=today or date.today(),
        progress=progress,
        cancelled=cancelled,
    )
    if notes is not None and participants:
        seeder.contact_scale = _contact_scale(notes, participants)
    if not seeder.sqlite:
        return seeder.run()
    return _seed_sqlite(session, seeder)


def _seed_sqlite(session: Session, seeder: _Seeder) -> SeedSummary:
    """Run *seeder* with SQLite bulk-load settings, restored afterwards."""
    previous_cache = session.execute(text("PRAGMA cache_size")).scalar()
    session.execute(text(f"PRAGMA cache_size = -{_SQLITE_SEED_CACHE_KIB}"))
    # Indexing 200,000 notes one trigger call at a time costs far more than
    # building the full-text index once from the finished table. DDL is
    # transactional in SQLite, and the trigger is recreated from its own stored
    # SQL, so the schema ends exactly as the migrations left it.
    trigger_sql = session.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _FTS_INSERT_TRIGGER},
    ).scalar()

    def restore() -> None:
        if trigger_sql:
            session.execute(text(trigger_sql))
            session.execute(text(f"INSERT INTO {_FTS_TABLE}({_FTS_TABLE}) VALUES ('rebuild')"))
        # The connection goes back to the pool; later users get the normal cache.
        session.execute(text(f"PRAGMA cache_size = {int(previous_cache or -2000)}"))

    if trigger_sql:
        session.execute(text(f"DROP TRIGGER {_FTS_INSERT_TRIGGER}"))
    try:
        summary = seeder.run()
    except BaseException:
        # The caller rolls back, which restores the trigger anyway; restoring
        # here as well keeps the index whole for a caller that commits regardless.
        # A failed transaction refuses further statements: then the rollback must do.
        with contextlib.suppress(DBAPIError, InvalidRequestError):
            restore()
        raise
    restore()
    return summary
