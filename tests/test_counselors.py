"""Counselor directory: editing rights, search across scripts, CSV import all or nothing."""

from __future__ import annotations

import pytest
from conftest import Staff
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from casebook.database import Database
from casebook.errors import ConflictError, PermissionDenied, ValidationError
from casebook.services import counselors as C
from models import AuditEvent, Counselor

HEADER = ",".join(C.COUNSELOR_CSV_COLUMNS) + "\r\n"


def _add(db: Database, actor: object, **raw: object) -> C.CounselorDetail:
    with db.session() as s:
        return C.create_counselor(s, actor, C.parse_counselor_fields(raw))


def _count(db: Database) -> int:
    with db.session(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Counselor)) or 0


def test_create_update_and_deactivate(db: Database, staff: Staff) -> None:
    entry = _add(
        db,
        staff.peer1,
        name="Dr Ana Lima",
        organisation="Riverbend CMHC",
        credentials="LCSW",
        phone="+1 (555) 010-2000",
        email="ana@example.org",
        languages="English, Portuguese",
        specialties="trauma and PTSD (EMDR)",
    )
    assert entry.description == "Dr Ana Lima, LCSW (Riverbend CMHC)"
    assert entry.accepting_new_clients and entry.active
    assert entry.language_list == ("English", "Portuguese")
    with db.session() as s:
        changed = C.update_counselor(
            s,
            staff.peer2,
            entry.id,
            C.parse_counselor_fields({"name": "Dr Ana Lima", "accepting_new_clients": "no"}),
            expected_version=entry.version,
        )
    assert not changed.accepting_new_clients and changed.organisation == ""
    with pytest.raises(ConflictError), db.session() as s:
        C.update_counselor(
            s,
            staff.peer1,
            entry.id,
            C.parse_counselor_fields({"name": "Stale"}),
            expected_version=entry.version,
        )
    # Taking an entry off the shared list is a supervisor's decision.
    with pytest.raises(PermissionDenied), db.session() as s:
        C.deactivate_counselor(s, staff.peer1, entry.id)
    with db.session() as s:
        gone = C.deactivate_counselor(
            s, staff.supervisor, entry.id, expected_version=changed.version
        )
    assert not gone.active
    with db.session(read_only=True) as s:
        assert C.list_counselors(s, staff.peer1) == []
        assert [c.id for c in C.list_counselors(s, staff.peer1, include_inactive=True)] == [
            entry.id
        ]
    with db.session() as s:
        assert C.reactivate_counselor(s, staff.supervisor, entry.id).active
    with db.session(read_only=True) as s:
        actions = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "counselor"))
        )
    assert actions == [
        "counselor_create",
        "counselor_update",
        "counselor_deactivate",
        "counselor_activate",
    ]


def test_admin_has_no_business_with_the_directory(db: Database, staff: Staff) -> None:
    with pytest.raises(PermissionDenied), db.session() as s:
        C.create_counselor(s, staff.admin, C.parse_counselor_fields({"name": "X"}))
    with pytest.raises(PermissionDenied), db.session() as s:
        C.search_counselors(s, staff.admin, "x")
    with pytest.raises(PermissionDenied), db.session() as s:
        C.import_counselors(s, staff.admin, (HEADER + "X\r\n").encode())


def test_validation_names_each_field() -> None:
    with pytest.raises(ValidationError) as info:
        C.parse_counselor_fields(
            {"name": " ", "phone": "call me", "email": "nobody", "accepting_new_clients": "maybe"}
        )
    assert set(info.value.field_errors) == {"name", "phone", "email", "accepting_new_clients"}
    assert "yes or no" in info.value.field_errors["accepting_new_clients"]
    with pytest.raises(ValidationError) as info:
        C.parse_counselor_fields({"name": "Org", "is_organisation": "yes", "organisation": "Other"})
    assert "organisation" in info.value.field_errors


def test_duplicate_entry_refused(db: Database, staff: Staff) -> None:
    _add(db, staff.peer1, name="Zoë Brennan", organisation="Lighthouse")
    with pytest.raises(ValidationError) as info, db.session() as s:
        C.create_counselor(
            s,
            staff.peer1,
            C.parse_counselor_fields({"name": "ZOE BRENNAN", "organisation": "lighthouse"}),
        )
    assert "already in the directory" in info.value.field_errors["name"]


def test_search_is_case_and_accent_insensitive_in_every_script(db: Database, staff: Staff) -> None:
    zoe = _add(
        db, staff.peer1, name="Zoë Ångström", specialties="grief and loss", languages="Swedish"
    )
    olga = _add(db, staff.peer1, name="Ольга Петрова", languages="Russian, English")
    org = _add(
        db,
        staff.peer1,
        name="Clearwater Behavioral Health",
        is_organisation="yes",
        specialties="intensive outpatient program (IOP), MOUD",
        languages="English, Spanish",
        accepting_new_clients="no",
    )
    with db.session(read_only=True) as s:

        def ids(query: str = "", **kw: object) -> list[int]:
            return [c.id for c in C.search_counselors(s, staff.peer2, query, **kw)]

        assert ids("zoe angstrom") == [zoe.id]
        assert ids("ZOË") == [zoe.id]
        assert ids("ольга") == [olga.id]
        assert ids("ПЕТРОВА") == [olga.id]
        assert ids("moud") == [org.id]
        assert ids("GRIEF") == [zoe.id]
        assert ids("english") == [org.id, olga.id]
        assert ids(language="spanish") == [org.id]
        assert ids(language="Russian") == [olga.id]
        assert ids(accepting_only=True) == [zoe.id, olga.id]  # Latin sorts before Cyrillic
        assert ids("nothing like this") == []
        assert ids("'; DROP TABLE counselor; --") == []
    assert _count(db) == 3


# --------------------------------------------------------------------------- CSV


def test_import_keeps_values_exactly(db: Database, staff: Staff) -> None:
    names = [
        'Zoë "Zo" Nguyễn-Łukasz',
        "Robert'); DROP TABLE counselor;--",
        "Ngozi 🌻 Okafor",
        "李小龍",
        '=HYPERLINK("x")',
        "Ólafur, Þórsson",
    ]
    row = '"{n}",no,Org {i},LPC,555-010{i},,"1 Main St, Apt {i}","a, b",English,yes,"{notes}",\r\n'
    rows = "".join(
        row.format(n=n.replace('"', '""'), i=i, notes="line one\nline two")
        for i, n in enumerate(names)
    )
    with db.session() as s:
        result = C.import_counselors(s, staff.peer1, (HEADER + rows).encode("utf-8"))
    assert result.created == len(names) and result.encoding == "UTF-8"
    assert "imported 6" in result.describe()
    with db.session(read_only=True) as s:
        got = {c.name: c for c in C.list_counselors(s, staff.peer1)}
    assert set(got) == set(names)
    assert got["李小龍"].notes == "line one\nline two"
    assert got["李小龍"].address == "1 Main St, Apt 3"
    # Export → import round trip keeps every value (formula-looking text included).
    with db.session() as s:
        exported = C.export_counselors_csv(s, staff.peer1)
    assert exported.splitlines()[0] == ",".join(C.COUNSELOR_CSV_COLUMNS)
    parsed, errors = C.parse_counselor_csv(exported.encode("utf-8"))
    assert errors == {}
    assert {r.fields.name for r in parsed} == set(names)
    assert {r.fields for r in parsed} == {
        C.parse_counselor_fields({f: getattr(c, f) for f in C.FIELD_NAMES}) for c in got.values()
    }


def test_one_bad_row_imports_nothing_and_lists_every_bad_row(db: Database, staff: Staff) -> None:
    _add(db, staff.peer1, name="Already Here", organisation="Org")
    data = (
        HEADER
        + "Good One,,,,,,,,,,,\r\n"
        + ",,,,,,,,,,,\r\n"  # blank lines are skipped, not errors
        + "Bad Phone,,,,call me,,,,,,,\r\n"
        + "Bad Bool,,,,,,,,,perhaps,,\r\n"
        + "Already Here,no,Org,,,,,,,,,\r\n"
        + "Good One,,,,,,,,,,,\r\n"
        + ",,Nameless Org,,,,,,,,,\r\n"
    ).encode()
    with pytest.raises(ValidationError) as info, db.session() as s:
        C.import_counselors(s, staff.peer1, data)
    errors = info.value.field_errors
    assert set(errors) == {
        "line 4: phone",
        "line 5: accepting_new_clients",
        "line 6: name",
        "line 7: name",
        "line 8: name",
    }
    assert "already in the directory" in errors["line 6: name"]
    assert "line 2" in errors["line 7: name"]
    assert "nothing was imported" in str(info.value)
    assert _count(db) == 1


def test_dry_run_writes_nothing(db: Database, staff: Staff) -> None:
    with db.session() as s:
        result = C.import_counselors(
            s, staff.peer1, (HEADER + "A B,,,,,,,,,,,\r\n").encode(), dry_run=True
        )
    assert result.dry_run and result.created == 1 and "would import" in result.describe()
    assert _count(db) == 0


def test_bom_and_windows_1252(db: Database, staff: Staff) -> None:
    with db.session() as s:
        bom = C.import_counselors(
            s, staff.peer1, ("\ufeff" + HEADER + "Zoë,,,,,,,,,,,\r\n").encode()
        )
    assert bom.encoding == "UTF-8"
    legacy = (HEADER + "Renée Côté,,Clinique Sainte-Thérèse,,,,,,,,€ fees,\r\n").encode("cp1252")
    with db.session() as s:
        result = C.import_counselors(s, staff.peer1, legacy)
    assert result.encoding == "Windows-1252"
    assert "Windows-1252" in result.describe()
    with db.session(read_only=True) as s:
        names = {c.name: c for c in C.list_counselors(s, staff.peer1)}
    assert set(names) == {"Zoë", "Renée Côté"}  # the BOM is not part of the header or a name
    assert names["Renée Côté"].organisation == "Clinique Sainte-Thérèse"
    assert names["Renée Côté"].notes == "€ fees"


def test_undecodable_and_mixed_files_are_refused_not_garbled(db: Database, staff: Staff) -> None:
    # 0x81 and 0x8d are undefined in Windows-1252 and invalid alone in UTF-8.
    neither = HEADER.encode() + b"Bad \x81\x8d name,,,,,,,,,,,\r\n"
    rows, errors = C.parse_counselor_csv(neither)
    assert rows == [] and "neither UTF-8 nor Windows-1252" in errors["file"]
    # A UTF-8 "Zoë" next to a cp1252 "é": either decoding would garble one of them.
    mixed = (
        HEADER.encode() + "Zoë,,,,,,,,,,,\r\n".encode() + "Renée,,,,,,,,,,,\r\n".encode("cp1252")
    )
    rows, errors = C.parse_counselor_csv(mixed)
    assert rows == [] and "mixes UTF-8 and Windows-1252" in errors["file"]
    with pytest.raises(ValidationError), db.session() as s:
        C.import_counselors(s, staff.peer1, mixed)
    assert _count(db) == 0


def test_header_problems(db: Database, staff: Staff) -> None:
    rows, errors = C.parse_counselor_csv(b"organisation,colour\r\nX,red\r\n")
    assert rows == []
    assert "name" in errors["header"]
    assert any("colour" in message for message in errors.values())
    rows, errors = C.parse_counselor_csv(b"")
    assert "empty" in errors["file"]
    rows, errors = C.parse_counselor_csv(HEADER.encode())
    assert "no directory entries" in errors["file"]


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=400)
    | st.text(max_size=300).map(lambda t: (HEADER + t).encode())
    | st.text(max_size=300).map(lambda t: (HEADER + t).encode("utf-8") + b"\xe9\x81")
)
def test_parser_never_crashes(data: bytes) -> None:
    rows, errors = C.parse_counselor_csv(data)
    assert isinstance(rows, list) and isinstance(errors, dict)
    assert rows or errors
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: (HEADER + t).encode()))
def test_importer_raises_only_validation_errors(db: Database, staff: Staff, data: bytes) -> None:
    before = _count(db)
    try:
        with db.session() as s:
            result = C.import_counselors(s, staff.peer1, data, dry_run=True)
    except ValidationError as exc:
        assert exc.field_errors
    else:
        assert result.dry_run
    assert _count(db) == before
