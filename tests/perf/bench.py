"""Casebook's benchmark: the figures of the [performance] issue, with targets.

    python tests/perf/bench.py [--quick] [--participants N] [--notes N] [--json FILE]

Builds (or reuses, see ``bench_data.py``) a synthetic encrypted database of
10,000 participants and about 200,000 notes (``--quick``: 2,000 and 40,000),
measures every figure several times and prints the median (the 95th percentile
where the target is one), next to its target and, where there is one, a
baseline measured in the same run (``bench_baselines.py``) and the ratio
value / baseline. ``--json`` writes the same as a list of
``{"name", "value", "unit", "target", "baseline"}``; a figure that cannot be
measured in this checkout has ``"value": null`` and the table says why.

Targets are set for the full size. Smaller runs print the same targets for
orientation. The exit status is 0 whether or not targets are met (the table
says which are); it is 1 only when measuring a figure failed with an error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import bench_figures as fig
from bench_data import Dataset, prepare

FULL = (10_000, 200_000)
QUICK = (2_000, 40_000)
MS = 1000.0


@dataclass
class Figure:
    name: str
    unit: str
    target: float | None
    value: float | None = None
    baseline: float | None = None
    #: Why there is no value (module missing, error), shown in the table.
    problem: str = ""
    #: "median" or "p95", shown in the table.
    statistic: str = "median"

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "target": self.target,
            "baseline": _round(self.baseline),
        }

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Plan:
    """How many times each figure is measured."""

    starts: int
    opens: int
    caseloads: int
    keystroke_rounds: int
    workspaces: int
    #: A supervisor's workspace also loads the team's co-sign queue: fewer samples.
    supervisor_workspaces: int
    search_rounds: int
    signs: int
    summaries: int
    reports: int
    imports: int


FULL_PLAN = Plan(
    starts=5,
    opens=7,
    caseloads=7,
    keystroke_rounds=5,
    workspaces=15,
    supervisor_workspaces=5,
    search_rounds=3,
    signs=40,
    summaries=7,
    reports=3,
    imports=3,
)
QUICK_PLAN = Plan(
    starts=3,
    opens=5,
    caseloads=5,
    keystroke_rounds=3,
    workspaces=8,
    supervisor_workspaces=3,
    search_rounds=2,
    signs=20,
    summaries=5,
    reports=2,
    imports=1,
)


class Bench:
    def __init__(self, dataset: Dataset, plan: Plan, work: Path) -> None:
        self.dataset = dataset
        self.plan = plan
        self.work = work
        self.figures: list[Figure] = []

    def measure(self, figure: Figure, fn: Callable[[Figure], None]) -> None:
        """Run *fn* (which fills in value and baseline); a failure is recorded, not raised."""
        self.figures.append(figure)
        print(f"  {figure.name}…", file=sys.stderr, flush=True)
        try:
            fn(figure)
        except Exception as exc:  # the other figures are still worth having
            figure.value = None
            figure.problem = f"failed: {type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)

    def unavailable(self, figure: Figure, reason: str) -> None:
        figure.problem = f"not available: {reason}"
        self.figures.append(figure)

    def run(self) -> list[Figure]:
        plan = self.plan
        ds = self.dataset
        home = self.work / "home"
        home.mkdir()

        def start_up(f: Figure) -> None:
            f.value = median(fig.cold_start(ds, plan.starts, home)) * MS

        self.measure(Figure("cold start to the login window", "ms", 1000.0), start_up)

        def open_db(f: Figure) -> None:
            f.value = median(fig.open_and_query(ds, plan.opens)) * MS

        self.measure(Figure("open the encrypted database + first query", "ms", 300.0), open_db)

        db = ds.open()
        try:
            self._with_database(db)
        finally:
            db.close()

        def memory(f: Figure) -> None:
            f.value = fig.peak_memory(ds)

        self.measure(Figure("peak memory, database open and caseload shown", "MB", 400.0), memory)
        return self.figures

    def _with_database(self, db: fig.Database) -> None:
        plan = self.plan
        supervisor = fig.actor(db, "supervisor")
        peer = fig.actor(db, "peer1")
        screen = fig.CaseloadScreen()
        try:
            shown = Figure("caseload into the table model", "ms", 300.0)

            def caseload(f: Figure) -> None:
                samples, rows = fig.caseload(db, supervisor, screen, plan.caseloads)
                f.name = f"caseload of {rows:,} into the table model"
                f.value = median(samples) * MS
                f.baseline = (
                    median(fig.caseload_baseline(self.dataset, supervisor, plan.caseloads)) * MS
                )

            self.measure(shown, caseload)

            def keystroke(f: Figure) -> None:
                f.value = median(fig.filter_keystrokes(screen, plan.keystroke_rounds)) * MS

            self.measure(Figure("caseload filter, one keystroke", "ms", 50.0), keystroke)
        finally:
            screen.close()

        team = fig.sample_participants(db, supervisor, max(plan.workspaces, plan.summaries))
        loaders, without = fig.tab_loaders()
        tabs = ", ".join(key for key, *_ in loaders) or "none registered"
        if without:
            tabs += f"; no loader known for {', '.join(without)}"

        # The specialist who carries the caseload, and the supervisor (whose tabs also
        # load what they may co-sign).
        for who, role in ((peer, "specialist"), (supervisor, "supervisor")):
            pids = (
                team[: plan.supervisor_workspaces]
                if who is supervisor
                else fig.sample_participants(db, who, plan.workspaces)
            )

            def workspace(f: Figure, who: fig.Actor = who, pids: list[int] = pids) -> None:
                f.value = median(fig.workspace(db, who, pids, loaders)) * MS

            self.measure(
                Figure(
                    f"participant workspace data, {role} (overview + tabs: {tabs})", "ms", 100.0
                ),
                workspace,
            )

        def search(f: Figure) -> None:
            f.value = p95(fig.note_search(db, supervisor, plan.search_rounds)) * MS

        self.measure(
            Figure(f"note search over {self.dataset.notes:,} notes", "ms", 50.0, statistic="p95"),
            search,
        )

        target_pid = fig.first_own_participant(db, peer)

        def sign(f: Figure) -> None:
            f.value = p95(fig.sign_notes(db, peer, target_pid, plan.signs)) * MS

        self.measure(
            Figure("sign a note (WAL, synchronous=FULL)", "ms", 30.0, statistic="p95"), sign
        )

        self._reports(db, supervisor, team[: plan.summaries])
        self._import(db, supervisor)

    def _reports(self, db: fig.Database, supervisor: fig.Actor, pids: list[int]) -> None:
        plan = self.plan
        summary = Figure("participant summary PDF", "ms", 300.0)
        small_n = min(1000, max(1, self.dataset.participants // 4))
        small = Figure(f"caseload report PDF, {small_n:,} participants", "ms", 1500.0)
        large = Figure(f"caseload report PDF, {2 * small_n:,} participants", "ms", None)
        ratio = Figure(f"caseload report PDF, {2 * small_n:,} ÷ {small_n:,}", "×", 2.2)
        missing = fig.reports_available()
        if missing is not None:
            for figure in (summary, small, large, ratio):
                self.unavailable(figure, missing)
            return
        out = self.work / "reports"
        out.mkdir()

        def participant_summary(f: Figure) -> None:
            samples, baseline = fig.participant_summary(db, supervisor, pids, out)
            f.value, f.baseline = median(samples) * MS, median(baseline) * MS

        self.measure(summary, participant_summary)

        rounds: list[tuple[list[float], list[float]]] = []

        def reports(_f: Figure) -> None:
            # Both sizes in one interleaved measurement (see fig.caseload_reports).
            (small_ids, small_count), (large_ids, large_count) = (
                fig.specialists_for(db, small_n),
                fig.specialists_for(db, 2 * small_n),
            )
            measured = fig.caseload_reports(
                db, supervisor, [small_ids, large_ids], plan.reports, out
            )
            rounds.extend(measured)
            for figure, ids, count, (samples, baseline) in (
                (small, small_ids, small_count, measured[0]),
                (large, large_ids, large_count, measured[1]),
            ):
                figure.name += f" (exactly {count:,}, {len(ids)} specialists)"
                figure.value, figure.baseline = median(samples) * MS, median(baseline) * MS

        def measured_with_the_smaller(f: Figure) -> None:
            if f.value is None:
                raise RuntimeError("measured together with the smaller report, which failed")

        self.measure(small, reports)
        self.measure(large, measured_with_the_smaller)

        def quotient(f: Figure) -> None:
            if small.value is None or large.value is None or len(rounds) != 2:
                raise RuntimeError("a caseload report figure is missing")
            # The median of each round's own ratio (the two sizes measured one after the
            # other): a drift in the machine's speed between rounds cancels out, where a
            # ratio of the two medians can pair a fast moment with a slow one.
            (small_s, small_b), (large_s, large_b) = rounds
            f.value = median([lg / sm for sm, lg in zip(small_s, large_s, strict=True)])
            f.baseline = median([lg / sm for sm, lg in zip(small_b, large_b, strict=True)])

        self.measure(ratio, quotient)

    def _import(self, db: fig.Database, supervisor: fig.Actor) -> None:
        rows = min(10_000, self.dataset.participants)

        def import_rows(f: Figure) -> None:
            data = fig.import_csv(db, supervisor, rows)
            f.value = median(fig.import_rows(data, self.plan.imports, self.work)) * MS

        self.measure(Figure(f"import of {rows:,} CSV rows", "ms", 5000.0), import_rows)


# ----------------------------------------------------------------------------- output


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "×":
        return f"{value:.2f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(figures: list[Figure]) -> str:
    header = ("figure", "value", "target", "baseline", "value/baseline", "")
    rows = []
    for f in figures:
        stat = " (p95)" if f.statistic == "p95" else ""
        unit = f" {f.unit}" if f.unit != "×" else "×"
        value = f.problem if f.value is None else _number(f.value, f.unit) + unit + stat
        target = "" if f.target is None else "< " + _number(f.target, f.unit) + unit
        if f.unit == "×" and f.target is not None:
            target = f"≤ {f.target:.1f}×"
        base = "" if f.baseline is None else _number(f.baseline, f.unit) + unit
        ratio = "" if not f.baseline or f.value is None else f"{f.value / f.baseline:.1f}×"
        verdict = {True: "ok", False: "MISSED", None: ""}[f.met]
        rows.append((f.name, value, target, base, ratio, verdict))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench.py", description="Measure Casebook against its performance targets."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller database (2,000 participants, 40,000 notes) and fewer "
        "repetitions; under two minutes",
    )
    parser.add_argument(
        "--participants",
        type=int,
        help=f"participants in the database (default {FULL[0]:,}, --quick {QUICK[0]:,})",
    )
    parser.add_argument(
        "--notes",
        type=int,
        help=f"about this many session notes (default {FULL[1]:,}, --quick {QUICK[1]:,})",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help='also write the figures as JSON: [{"name", "value", "unit", "target", "baseline"}]',
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "casebook-bench",
        help="where built databases are kept for the next run (default: %(default)s)",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="build the database again even if a cached one matches",
    )
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    if args.participants is None:
        args.participants = size[0]
    if args.notes is None:
        # The same notes per participant as the default sizes.
        args.notes = args.participants * size[1] // size[0]
    if not 10 <= args.participants <= 200_000:
        parser.error("--participants must be between 10 and 200000")
    if args.notes < 0:
        parser.error("--notes cannot be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="casebook-bench-") as tmp:
        work = Path(tmp)
        print(
            f"Preparing {args.participants:,} participants / ~{args.notes:,} notes…",
            file=sys.stderr,
            flush=True,
        )
        dataset = prepare(args.participants, args.notes, args.cache_dir, work, rebuild=args.rebuild)
        built = (
            "reused from the cache"
            if dataset.build_seconds is None
            else f"built in {dataset.build_seconds:.1f} s"
        )
        print(
            f"Database: {dataset.participants:,} participants, {dataset.notes:,} notes ({built}).",
            file=sys.stderr,
            flush=True,
        )
        plan = QUICK_PLAN if args.quick or args.participants < FULL[0] else FULL_PLAN
        figures = Bench(dataset, plan, work).run()
    print()
    print(
        f"Casebook benchmark: {dataset.participants:,} participants, {dataset.notes:,} "
        f"notes, {os.cpu_count()} CPU(s), {time.perf_counter() - started:.0f} s in all"
    )
    print(table(figures))
    if args.json is not None:
        args.json.write_text(
            json.dumps([f.as_json() for f in figures], indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return 1 if any(f.problem.startswith("failed") for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
