"""The command line (argparse). ``python main.py`` and ``casebook`` both land here.

Every command prints one clear line on failure and exits non-zero; tracebacks
go to a log file, never to the terminal. Heavy modules are imported inside the
commands so ``--help`` and the window start quickly.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from casebook.errors import CasebookError
from casebook.i18n import tr

if TYPE_CHECKING:
    from casebook.database import Database
    from casebook.db import DatabaseLocation
    from casebook.security.permissions import Actor

PROG = "casebook"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
ENV_PASSWORD = "CASEBOOK_PASSWORD"


class CommandError(CasebookError):
    """A failure of the command itself (bad argument, unreadable file...)."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _location(args: argparse.Namespace) -> DatabaseLocation:
    from casebook.db import resolve_location

    return resolve_location(args.db)


def _key_file(args: argparse.Namespace) -> Path | None:
    return Path(args.key_file).expanduser() if getattr(args, "key_file", None) else None


def _open(args: argparse.Namespace, *, check_schema: bool = True) -> Database:
    from casebook.database import open_database

    return open_database(_location(args), key_file=_key_file(args), check_schema=check_schema)


def _database(args: argparse.Namespace, *, check_schema: bool = True) -> closing[Database]:
    """``with _database(args) as db:`` opens --db and closes it however the block ends."""
    return closing(_open(args, check_schema=check_schema))


def _password_from(args: argparse.Namespace, prompt: str) -> str:
    value = os.environ.get(ENV_PASSWORD)
    if value:
        return value
    if not sys.stdin.isatty():
        raise CommandError(
            tr("no password: set {env} or run the command in a terminal").format(env=ENV_PASSWORD)
        )
    return getpass.getpass(prompt)


def _act_as(db: Database, args: argparse.Namespace) -> Actor:
    """Sign in as --user for commands that touch clinical data or accounts."""
    from casebook.services import users

    if not args.user:
        raise CommandError(
            tr(
                "this command acts as a staff member: add --user NAME (password from "
                "{env} or a prompt)"
            ).format(env=ENV_PASSWORD)
        )
    password = _password_from(args, tr("Password for {u}: ").format(u=args.user))
    with db.session() as session:
        outcome = users.authenticate(session, args.user, password)
    return outcome.raise_for_failure()


@contextmanager
def _signed_in(args: argparse.Namespace) -> Iterator[tuple[Database, Actor]]:
    """Open --db and sign in as --user (see :func:`_act_as`); the database is closed
    however the block ends, a failed sign-in included."""
    with _database(args) as db:
        yield db, _act_as(db, args)


# ---------------------------------------------------------------- db commands


def cmd_db_init(args: argparse.Namespace) -> int:
    from casebook.database import create_database
    from casebook.security import keystore

    location = _location(args)
    db = create_database(location, key_file=_key_file(args))
    db.close()
    print(tr("Created {where}").format(where=location.describe()))
    if location.path is not None and not _key_file(args) and not keystore.key_from_environment():
        print(
            tr(
                "The encryption key is kept in {backend}. Export a recovery copy now with "
                "'casebook db export-key FILE'."
            ).format(backend=keystore.backend_description())
        )
    print(tr("Next: create the first administrator with 'casebook user add NAME --role admin'"))
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from casebook import schema

    with _database(args, check_schema=False) as db:

        def backup() -> None:
            from casebook.backup import automatic_backup

            path = automatic_backup(db, reason="before-upgrade")
            if path is not None:
                print(tr("Backup taken: {path}").format(path=path))

        if schema.upgrade_with_backup(db.engine, backup):
            print(
                tr("Upgraded {where} to schema {rev}").format(
                    where=db.location.describe(), rev=schema.head_revision()
                )
            )
        else:
            print(
                tr("{where} is already up to date (schema {rev})").format(
                    where=db.location.describe(), rev=schema.head_revision()
                )
            )
    return EXIT_OK


def cmd_db_backup(args: argparse.Namespace) -> int:
    from casebook.backup import backup_to

    with _database(args) as db:
        # Acting as a user is optional here: it only names who took the backup.
        name = _act_as(db, args).username if args.user else ""
        info = backup_to(db, Path(args.file), actor_name=name)
    print(
        tr("Backup written to {path} ({kib} KiB, {n} audit events, verified)").format(
            path=info.path, kib=info.size // 1024, n=info.audit_events
        )
    )
    return EXIT_OK


def cmd_db_restore(args: argparse.Namespace) -> int:
    from casebook.backup import restore_from
    from casebook.database import resolve_key

    location = _location(args)
    if location.path is None:
        raise CommandError(
            tr(
                "a clinic server is restored on the server (pg_restore); see the "
                "README section 'Clinic server'"
            )
        )
    source = Path(args.file).expanduser()
    if not source.exists():
        raise CommandError(tr("{path} does not exist").format(path=source))
    key = resolve_key(location, key_file=_key_file(args))
    info = restore_from(location.path, source, key, actor_name=_restorer(args.user))
    print(
        tr("Restored {db} from {src} ({n} audit events, verified).").format(
            db=location.path, src=info.restored_from, n=info.audit_events
        )
    )
    if info.replaced_kept_as:
        print(tr("The database it replaced is kept as {path}").format(path=info.replaced_kept_as))
    return EXIT_OK


def cmd_db_check(args: argparse.Namespace) -> int:
    from casebook.maintenance import check_database

    with _database(args, check_schema=False) as db:
        results = check_database(db)
    width = max(len(r.name) for r in results)
    for r in results:
        mark = tr("OK") if r.ok else tr("PROBLEM")
        print(f"{r.name.ljust(width)}  {mark:8} {r.detail}")
    bad = [r for r in results if not r.ok]
    if bad:
        print(
            tr("{n} problem(s) found in {where}").format(n=len(bad), where=db.location.describe()),
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(tr("{where} passed every check").format(where=db.location.describe()))
    return EXIT_OK


def cmd_db_set_password(args: argparse.Namespace) -> int:
    from casebook.database import probe_server
    from casebook.db import store_server_password

    location = _location(args)
    if location.path is not None:
        raise CommandError(
            tr("set-password is for a clinic server (--db postgresql+psycopg://ROLE@host/db)")
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(
            tr("Server password for {where}: ").format(where=location.describe())
        )
    else:
        raise CommandError(tr("no password: use --password-stdin or run in a terminal"))
    if not password:
        raise CommandError(tr("no password given; nothing was stored"))
    # Signing in first: a mistyped password must not end up in the keyring.
    probe_server(location, password)
    entry = store_server_password(location.url, password)
    print(
        tr("The password for {where} is kept in the keyring (entry {entry})").format(
            where=location.describe(), entry=entry
        )
    )
    return EXIT_OK


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str:
    if getattr(args, "passphrase_stdin", False):
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CommandError(tr("--passphrase-stdin: standard input held no passphrase"))
        return value
    if not sys.stdin.isatty():
        raise CommandError(tr("no passphrase: use --passphrase-stdin or run in a terminal"))
    value = getpass.getpass(tr("Recovery passphrase: "))
    if confirm and getpass.getpass(tr("Repeat the passphrase: ")) != value:
        raise CommandError(tr("the two passphrases differ; nothing was written"))
    return value


def _require_admin_login(db: Database, args: argparse.Namespace, what: str) -> Actor:
    actor = _act_as(db, args)
    if not actor.is_admin:
        raise CommandError(tr("only an administrator can {what}").format(what=what))
    return actor


def cmd_db_export_key(args: argparse.Namespace) -> int:
    from casebook import keys
    from casebook.services.common import log

    target = Path(args.file).expanduser()
    if target.exists():
        raise CommandError(tr("{path} already exists; choose a new file name").format(path=target))
    with _database(args) as db:
        actor = _require_admin_login(db, args, tr("export the database key"))
        data = keys.export_recovery(db, _passphrase(args, confirm=True))
        try:
            with target.open("xb") as fh:
                fh.write(data)
        except OSError as exc:
            raise CommandError(
                tr("cannot write {path}: {reason}").format(path=target, reason=exc.strerror)
            ) from None
        with db.session() as session:
            log(session, actor, "key_export", details={"file": target.name})
    print(
        tr(
            "Recovery copy of the key written to {path}. Keep it and the passphrase apart, "
            "somewhere safe."
        ).format(path=target)
    )
    return EXIT_OK


def cmd_db_import_key(args: argparse.Namespace) -> int:
    from casebook import keys

    location = _location(args)
    if location.path is None:
        raise CommandError(tr("a clinic server has no key file; only encrypted files do"))
    source = Path(args.file).expanduser()
    if not source.is_file():
        raise CommandError(
            tr("{path} does not exist; give the recovery file made by 'db export-key'").format(
                path=source
            )
        )
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise CommandError(
            tr("cannot read {path}: {reason}").format(path=source, reason=exc.strerror)
        ) from None
    keys.import_recovery(location.path, data, _passphrase(args, confirm=False))
    print(tr("The key for {path} is now in this computer's keyring").format(path=location.path))
    return EXIT_OK


def cmd_db_rekey(args: argparse.Namespace) -> int:
    from casebook import keys
    from casebook.services.common import log

    # engine.dispose() is safe twice: rekey closes the old handle itself on success.
    with _database(args) as old:
        actor = _require_admin_login(old, args, tr("change the database key"))
        with old.session() as session:
            log(session, actor, "rekey")
        db = keys.rekey(old)
    db.close()
    print(
        tr(
            "{path} is now encrypted with a new key (kept in the keyring). Export a new recovery "
            "copy: the old one no longer opens it."
        ).format(path=db.location.describe())
    )
    return EXIT_OK


# -------------------------------------------------------------- user commands


def _new_password(args: argparse.Namespace, prompt: str, nothing_done: str) -> str:
    """A new account password: from standard input with --password-stdin, else typed
    twice in a terminal. *nothing_done* ends the message when the two differ."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(tr("--password-stdin: standard input held no password"))
        return password
    if not sys.stdin.isatty():
        raise CommandError(tr("no password: use --password-stdin or run in a terminal"))
    password = getpass.getpass(prompt)
    if getpass.getpass(tr("Repeat the password: ")) != password:
        raise CommandError(tr("the two passwords differ; {what}").format(what=nothing_done))
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    from casebook.services import users

    password = _new_password(
        args,
        tr("Password for the new account {u}: ").format(u=args.name),
        tr("nothing was created"),
    )
    with _database(args) as db:
        with db.session() as session:
            first = users.count_users(session) == 0
        if first:
            if args.role != "admin":
                raise CommandError(
                    tr("the first account must be an administrator: use --role admin")
                )
            if args.supervisor or args.also_supervisor:
                # Said rather than ignored: the first administrator has no team and
                # reads no clinical records; supervisors are added after it.
                raise CommandError(
                    tr(
                        "the first administrator cannot be in a team or supervise: leave out "
                        "--supervisor and --also-supervisor, then add supervisors signed in "
                        "as this administrator"
                    )
                )
            with db.session() as session:
                info = users.create_first_admin(
                    session, args.name, args.display_name or "", password
                )
        else:
            actor = _act_as(db, args)
            with db.session() as session:
                info = users.create_user(
                    session,
                    actor,
                    username=args.name,
                    display_name=args.display_name or "",
                    role=args.role,
                    password=password,
                    supervisor=args.supervisor,
                    is_supervisor=args.also_supervisor,
                )
    print(tr("Created {role} account '{u}'").format(role=info.role, u=info.username))
    return EXIT_OK


def cmd_user_list(args: argparse.Namespace) -> int:
    from casebook.services import users

    with _signed_in(args) as (db, actor), db.session(read_only=True) as session:
        rows = users.list_users(session, actor)
    for u in rows:
        flags = []
        if not u.active:
            flags.append(tr("deactivated"))
        if u.locked:
            flags.append(tr("locked"))
        team = tr("team of {s}").format(s=u.supervisor_name) if u.supervisor_name else ""
        print("\t".join([u.username, u.display_name, u.role, team, ", ".join(flags)]).rstrip())
    return EXIT_OK


def cmd_user_reset_password(args: argparse.Namespace) -> int:
    from casebook.services import users

    password = _new_password(
        args,
        tr("Temporary password for {u}: ").format(u=args.name),
        tr("the password was not reset"),
    )
    with _signed_in(args) as (db, actor), db.session() as session:
        users.reset_password(session, actor, args.name, password)
    print(tr("Password of '{u}' reset; they must change it at next sign-in").format(u=args.name))
    return EXIT_OK


# -------------------------------------------------------------- demo commands


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from casebook.database import create_database
    from casebook.demo import seed_demo
    from casebook.security import passwords

    if args.participants < 1 or args.participants > 200_000:
        raise CommandError(tr("--participants must be between 1 and 200000"))
    passwords.check_password_rules(args.password)
    location = _location(args)
    if location.path is not None and not location.path.exists():
        db = create_database(location, key_file=_key_file(args))
    else:
        db = _open(args)
    with closing(db):
        pw_hash = passwords.hash_password(args.password)
        last = [-1]

        def progress(done: int, total: int) -> None:
            pct = int(100 * done / max(total, 1))
            if pct // 10 != last[0] and sys.stderr.isatty():
                last[0] = pct // 10
                print(f"\r{tr('Seeding')}… {pct}%", end="", file=sys.stderr, flush=True)

        with db.session() as session:
            summary = seed_demo(
                session,
                participants=args.participants,
                seed=args.seed,
                password_hash=pw_hash,
                progress=progress,
            )
        if sys.stderr.isatty():
            print(file=sys.stderr)
    print(
        tr("Seeded {where}: {summary}").format(
            where=location.describe(), summary=summary.describe()
        )
    )
    print(tr("Sign in as admin, supervisor or peer1 with the password given by --password"))
    return EXIT_OK


# ------------------------------------------------------------ import/export


def write_atomically(target: Path, data: bytes) -> None:
    """Write *data* to *target* through a temporary file, so a failure never
    leaves a half-written file (or replaces a good one)."""
    import tempfile

    target = target.expanduser()
    if target.is_dir():
        raise CommandError(tr("{path} is a folder; give a file name").format(path=target))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise CommandError(
            tr("the folder {dir} does not exist; create it or choose another").format(dir=folder)
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as exc:
        raise CommandError(
            tr("cannot write in {dir}: {reason}").format(dir=folder, reason=exc.strerror)
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CommandError(
            tr("cannot write {path}: {reason}").format(path=target, reason=exc.strerror)
        ) from None


def _read_input_file(path: str) -> bytes:
    source = Path(path).expanduser()
    try:
        return source.read_bytes()
    except FileNotFoundError:
        raise CommandError(tr("{path} does not exist").format(path=source)) from None
    except IsADirectoryError:
        raise CommandError(tr("{path} is a folder, not a CSV file").format(path=source)) from None
    except OSError as exc:
        raise CommandError(
            tr("cannot read {path}: {reason}").format(path=source, reason=exc.strerror)
        ) from None


@contextmanager
def _printing_field_errors() -> Iterator[None]:
    """A ValidationError raised inside has its field errors printed to stderr, one a
    line, before it goes on to ``run`` (which prints its summary line)."""
    from casebook.errors import ValidationError

    try:
        yield
    except ValidationError as exc:
        errors = exc.field_errors
        # One problem whose text is already the summary line needs no second line; a
        # summary ("1 problem in the file") must still be followed by the row it means.
        if len(errors) > 1 or (errors and next(iter(errors.values())) not in exc.message):
            for where, message in errors.items():
                print(f"{where.strip()}: {message}", file=sys.stderr)
        raise


def cmd_import_participants(args: argparse.Namespace) -> int:
    from casebook.services import participant_csv

    data = _read_input_file(args.file)
    with _signed_in(args) as (db, actor), _printing_field_errors(), db.session() as session:
        result = participant_csv.import_participants(session, actor, data, dry_run=args.dry_run)
    print(result.describe())
    return EXIT_OK


def cmd_export_participants(args: argparse.Namespace) -> int:
    from casebook.services import participant_csv

    target = Path(args.file)
    with _signed_in(args) as (db, actor), db.session() as session:
        text = participant_csv.export_participants(session, actor)
        # Written inside the unit of work: if the file cannot be written,
        # the export's audit event rolls back with it.
        write_atomically(target, text.encode("utf-8"))
    print(
        tr("Exported {n} participants to {path}").format(
            n=max(0, text.count("\r\n") - 1), path=target
        )
    )
    return EXIT_OK


def cmd_import_counselors(args: argparse.Namespace) -> int:
    from casebook.services import counselors

    data = _read_input_file(args.file)
    with _signed_in(args) as (db, actor), _printing_field_errors(), db.session() as session:
        result = counselors.import_counselors(session, actor, data, dry_run=args.dry_run)
    print(result.describe())
    return EXIT_OK


def cmd_export_counselors(args: argparse.Namespace) -> int:
    from casebook.services import counselors

    target = Path(args.file)
    with _signed_in(args) as (db, actor), db.session() as session:
        text = counselors.export_counselors_csv(session, actor)
        write_atomically(target, text.encode("utf-8"))
    print(
        tr("Exported {n} directory entries to {path}").format(
            n=max(0, text.count("\r\n") - 1), path=target
        )
    )
    return EXIT_OK


# ------------------------------------------------------------------- reports


def _report_target(value: str) -> Path:
    """The PDF to write: refused up front when it cannot be a file, so the report is
    not built (and its print not audited) for nothing."""
    target = Path(value).expanduser()
    if target.is_dir():
        raise CommandError(
            tr("{path} is a folder; give a file name such as report.pdf").format(path=target)
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise CommandError(
            tr("the folder {dir} does not exist; create it or choose another").format(dir=folder)
        )
    return target


def cmd_report_caseload(args: argparse.Namespace) -> int:
    from casebook.reports.caseload import build_caseload_report
    from casebook.services import users

    target = _report_target(args.output)
    with _signed_in(args) as (db, actor), db.session() as session:
        ids = [users.get_user(session, actor, name).id for name in args.specialist or ()]
        build_caseload_report(
            session, actor, target, profile=args.profile, specialist_ids=ids or None
        )
    print(
        tr("Caseload report ({profile} profile) written to {path}").format(
            profile=args.profile, path=target
        )
    )
    return EXIT_OK


def cmd_report_participant(args: argparse.Namespace) -> int:
    from casebook.reports.participant_summary import build_participant_summary
    from casebook.services import participants

    target = _report_target(args.output)
    with _signed_in(args) as (db, actor), db.session() as session:
        detail = participants.find_by_record_number(session, actor, args.record_number)
        build_participant_summary(session, actor, detail.id, target, last_notes=args.notes)
    print(
        tr("Participant summary for {record} written to {path}").format(
            record=args.record_number, path=target
        )
    )
    return EXIT_OK


# ------------------------------------------------------------------- window


def cmd_window(args: argparse.Namespace) -> int:
    from ui.app import run_window

    return run_window(db=args.db, key_file=_key_file(args), demo=args.demo)


# ------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=tr(
            "Casebook: caseloads, recovery plans, session notes and referrals for peer "
            "support specialists. With no command, opens the window."
        ),
    )
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help=tr(
            "database file or postgresql+psycopg:// URL (default: $CASEBOOK_DB, "
            "else casebook.db in the user data folder)"
        ),
    )
    parser.add_argument(
        "--key-file",
        metavar="FILE",
        help=tr(
            "read the database key (64 hex digits) from FILE instead of the "
            "keyring; for automation ($CASEBOOK_DB_KEY works too)"
        ),
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help=tr("act as this staff member (password from $CASEBOOK_PASSWORD or a prompt)"),
    )
    parser.add_argument(
        "--demo", action="store_true", help=tr("open the window on a throwaway demo database")
    )
    parser.set_defaults(func=cmd_window)
    sub = parser.add_subparsers(title=tr("commands"), metavar="COMMAND", parser_class=_Parser)

    db = sub.add_parser("db", help=tr("create, migrate and verify the database"))
    dbs = db.add_subparsers(
        title=tr("db commands"), metavar="ACTION", required=True, parser_class=_Parser
    )
    dbs.add_parser("init", help=tr("create a new encrypted database and its key")).set_defaults(
        func=cmd_db_init
    )
    dbs.add_parser(
        "upgrade", help=tr("migrate to this version's schema (backup first)")
    ).set_defaults(func=cmd_db_upgrade)
    dbs.add_parser(
        "check", help=tr("verify integrity, foreign keys, encryption and the audit chain")
    ).set_defaults(func=cmd_db_check)

    bk = dbs.add_parser("backup", help=tr("write an online, encrypted, verified backup"))
    bk.add_argument("file", metavar="FILE")
    bk.set_defaults(func=cmd_db_backup)
    rs = dbs.add_parser(
        "restore", help=tr("verify a backup, keep the current database aside, and restore")
    )
    rs.add_argument("file", metavar="FILE")
    rs.set_defaults(func=cmd_db_restore)
    exp = dbs.add_parser(
        "export-key", help=tr("write a passphrase-protected recovery copy of the key (admins)")
    )
    exp.add_argument("file", metavar="FILE")
    exp.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help=tr("read the passphrase from standard input"),
    )
    exp.set_defaults(func=cmd_db_export_key)
    imp = dbs.add_parser(
        "import-key", help=tr("put a recovery copy of the key into this computer's keyring")
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help=tr("read the passphrase from standard input"),
    )
    imp.set_defaults(func=cmd_db_import_key)
    dbs.add_parser(
        "rekey", help=tr("re-encrypt under a new key (admins; backup first)")
    ).set_defaults(func=cmd_db_rekey)
    pw = dbs.add_parser(
        "set-password",
        help=tr("keep a clinic server's password in this computer's keyring"),
    )
    pw.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("read the password from standard input"),
    )
    pw.set_defaults(func=cmd_db_set_password)

    user = sub.add_parser("user", help=tr("staff accounts"))
    us = user.add_subparsers(
        title=tr("user commands"), metavar="ACTION", required=True, parser_class=_Parser
    )
    add = us.add_parser("add", help=tr("create a staff account (the first one must be an admin)"))
    add.add_argument("name", metavar="NAME", help=tr("username: lowercase letters, digits, . _ -"))
    add.add_argument("--role", required=True, choices=("specialist", "supervisor", "admin"))
    add.add_argument(
        "--supervisor", metavar="NAME", help=tr("the supervisor of a specialist's team")
    )
    add.add_argument("--display-name", metavar="TEXT", help=tr("full name as shown in the program"))
    add.add_argument(
        "--also-supervisor",
        action="store_true",
        help=tr("an admin who also supervises (and so may read clinical records)"),
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("read the new password from standard input"),
    )
    add.set_defaults(func=cmd_user_add)
    us.add_parser("list", help=tr("list staff accounts")).set_defaults(func=cmd_user_list)
    reset = us.add_parser("reset-password", help=tr("set a temporary password (admins)"))
    reset.add_argument("name", metavar="NAME")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr("read the new password from standard input (else it is asked for twice)"),
    )
    reset.set_defaults(func=cmd_user_reset_password)

    imp_p = sub.add_parser("import", help=tr("import records from CSV (all or nothing)"))
    ims = imp_p.add_subparsers(
        title=tr("import commands"), metavar="WHAT", required=True, parser_class=_Parser
    )
    ip = ims.add_parser("participants", help=tr("import participants from a CSV file"))
    ip.add_argument("file", metavar="FILE.csv")
    ip.add_argument(
        "--dry-run",
        action="store_true",
        help=tr("check the file and report what would happen; change nothing"),
    )
    ip.set_defaults(func=cmd_import_participants)
    ic = ims.add_parser("counselors", help=tr("import counselor directory entries from CSV"))
    ic.add_argument("file", metavar="FILE.csv")
    ic.add_argument(
        "--dry-run",
        action="store_true",
        help=tr("check the file and report what would happen; change nothing"),
    )
    ic.set_defaults(func=cmd_import_counselors)
    exp_p = sub.add_parser("export", help=tr("export records to CSV"))
    exs = exp_p.add_subparsers(
        title=tr("export commands"), metavar="WHAT", required=True, parser_class=_Parser
    )
    ep = exs.add_parser("participants", help=tr("export the participants you may see"))
    ep.add_argument("file", metavar="FILE.csv")
    ep.set_defaults(func=cmd_export_participants)
    ec = exs.add_parser("counselors", help=tr("export the counselor directory"))
    ec.add_argument("file", metavar="FILE.csv")
    ec.set_defaults(func=cmd_export_counselors)

    rep = sub.add_parser("report", help=tr("print reports to PDF (audited)"))
    rps = rep.add_subparsers(
        title=tr("report commands"), metavar="WHAT", required=True, parser_class=_Parser
    )
    rc = rps.add_parser("caseload", help=tr("caseload report grouped per specialist, with totals"))
    rc.add_argument(
        "--output",
        "--out",
        dest="output",
        required=True,
        metavar="FILE.pdf",
        help=tr("the PDF to write (an existing file is replaced)"),
    )
    rc.add_argument(
        "--profile",
        choices=("minimum", "full"),
        default="minimum",
        help=tr(
            "minimum (default): record numbers and initials, no clinical text; "
            "full: with names (supervisors only)"
        ),
    )
    rc.add_argument(
        "--specialist",
        action="extend",
        nargs="+",
        metavar="USERNAME",
        help=tr("only these specialists' caseloads (default: everyone you may see)"),
    )
    rc.set_defaults(func=cmd_report_caseload)
    rpp = rps.add_parser(
        "participant", help=tr("participant summary: profile, plan, measures, recent notes")
    )
    rpp.add_argument(
        "record_number", metavar="RECORD_NUMBER", help=tr("the participant's record number")
    )
    rpp.add_argument(
        "--output",
        "--out",
        dest="output",
        required=True,
        metavar="FILE.pdf",
        help=tr("the PDF to write (an existing file is replaced)"),
    )
    rpp.add_argument(
        "--notes",
        type=int,
        default=5,
        metavar="N",
        help=tr("how many recent signed notes to include (0 for none; default 5)"),
    )
    rpp.set_defaults(func=cmd_report_participant)

    demo = sub.add_parser("demo", help=tr("synthetic demo data"))
    ds = demo.add_subparsers(
        title=tr("demo commands"), metavar="ACTION", required=True, parser_class=_Parser
    )
    seed = ds.add_parser("seed", help=tr("fill a new database with realistic synthetic data"))
    seed.add_argument("--participants", type=int, default=200, metavar="N")
    seed.add_argument("--seed", type=int, default=1, metavar="S")
    seed.add_argument(
        "--password",
        default="casebook-demo",
        metavar="PW",
        help=tr("password of every demo account (default: casebook-demo)"),
    )
    seed.set_defaults(func=cmd_demo_seed)
    return parser


def _os_account() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER variable and no password-database entry
        return "unknown"


def _restorer(claimed: str | None) -> str:
    """Who the audit log names for a command-line restore.

    Nobody signs in for a restore (the file being replaced may be the damaged one), so
    the log names the operating-system account that held the key, and a ``--user``
    name only as claimed.
    """
    account = f"os:{_os_account()}"
    who = tr("{user} (unverified, {account})").format(user=claimed, account=account)
    return (who if claimed else account)[:64]


_SECRET_OPTIONS = ("--password", "--passphrase")


def _redacted_argv(argv: Sequence[str]) -> str:
    """The command line for the error log, without passwords: a server URL's password
    and the value of a password option are replaced."""
    shown: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            shown.append("***")
            hide_next = False
            continue
        name, eq, _value = arg.partition("=")
        if name in _SECRET_OPTIONS:
            if eq:
                shown.append(f"{name}=***")
            else:
                shown.append(arg)
                hide_next = True
            continue
        shown.append(re.sub(r"(://[^/@:\s]*:)[^/@\s]*@", r"\1***@", arg))
    return " ".join(shown)


def _log_unexpected(exc: BaseException) -> Path | None:
    try:
        import platformdirs

        log_dir = Path(platformdirs.user_log_dir("Casebook", "Casebook"))
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "casebook-errors.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat()} {_redacted_argv(sys.argv)}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except CasebookError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{PROG}: {tr('interrupted; nothing more was changed')}", file=sys.stderr)
        return 130
    except Exception as exc:
        from casebook.db import describe_operational_error, is_driver_error

        if is_driver_error(exc):
            try:
                location = _location(args)
                print(f"{PROG}: {describe_operational_error(exc, location)}", file=sys.stderr)
                return EXIT_FAILURE
            except CasebookError:
                pass
        logging.getLogger(__name__).debug("unexpected", exc_info=exc)
        where = _log_unexpected(exc)
        hint = tr("; details in {path}").format(path=where) if where else ""
        print(
            f"{PROG}: {tr('unexpected error')} ({type(exc).__name__}: {exc}){hint}", file=sys.stderr
        )
        return EXIT_FAILURE


def main() -> int:
    return run()
