"""The ``sim`` command.

Every error a user can cause ends with one line per problem on standard error and exit status 2;
outputs are staged beside the target folder and renamed into place only when complete.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import sys
import threading
import warnings
from pathlib import Path

from sim.arguments import MAX_SCHEDULER_TIMEOUT_S, parse_years
from sim.errors import SimError
from sim.messages import MAX_PROBLEM_LINES, bounded_message, cut_text

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1
_MAX_PORT = 65535  # TCP ports are 16-bit


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise SimError(f"{self.prog}: {message}")


def _positive_int(flag: str, maximum: int | None = None):
    allowed = ">= 1" if maximum is None else f"in 1..{maximum:,}" if maximum >= 100_000 else f"in 1..{maximum}"

    def parse(text: str) -> int:
        shown = cut_text(repr(text))
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number {allowed} (got {shown})") from None
        if value < 1 or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number {allowed} (got {shown})")
        return value

    return parse


def _share(flag: str, low: float, high: float, low_inclusive: bool):
    # A stated threshold: a finite number in a range (nan and inf compare false, so they are refused).
    allowed = f"a number {'>=' if low_inclusive else '>'} {low:g} and <= {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not ((value >= low if low_inclusive else value > low) and value <= high):
            raise argparse.ArgumentTypeError(f"{flag} must be {allowed} (got {cut_text(repr(text))})")
        return value

    return parse


def _draws():
    from sim.scenario.base import MAX_DRAWS

    return _positive_int("--draws", MAX_DRAWS)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number >= 0 (got {text!r})") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number in 0..2**63-1 (got {text!r})")
    return value


_SCENARIO_HELP = "scenario file (TOML)"
_DRAWS_HELP = ("number of Monte Carlo draws, each one possible future with its own random numbers and "
               "uncertain parameters (default: the scenario's [ensemble] draws)")
_SEED_HELP = "seed of the random numbers; same seed and draws give identical results (default: the scenario's)"
_WORKERS_HELP = "local processes running draws in parallel (default 1); results do not depend on it"
_QUIET_HELP = "print no progress line (none is printed either when standard error is not a terminal)"
_YEARS_HELP = ("FIRST-LAST: total over these years of the results, e.g. 2023-2027 (default: the horizon); "
               "nothing is re-run and present values stay discounted to the base year")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``sim`` and its subcommands."""
    parser = _Parser(prog="sim", description="Simulate and forecast the impact of the Beijing gazette 2022 No. 44.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario's ensemble and write results")
    p.add_argument("scenario", type=Path, help=_SCENARIO_HELP)
    p.add_argument("--draws", type=_draws(), help=_DRAWS_HELP)
    p.add_argument("--seed", type=_seed, help=_SEED_HELP)
    p.add_argument("--out", type=Path, help="output folder (default results/<scenario name>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--workers", type=_positive_int("--workers"), default=1, help=_WORKERS_HELP)
    p.add_argument("--scheduler", help="address of a Dask distributed scheduler (tcp://host:8786); "
                                       "overrides --workers")
    p.add_argument("--scheduler-timeout", type=_positive_int("--scheduler-timeout", MAX_SCHEDULER_TIMEOUT_S),
                   default=60, help="seconds allowed to reach the scheduler, for a worker to join it, and for the "
                                    "scheduler to be without a worker or an answer during the run (default 60)")
    p.add_argument("--resume", action="store_true", help="reuse the draws an interrupted run already saved")
    p.add_argument("--quiet", action="store_true", help=_QUIET_HELP + " and the summary table")
    p.add_argument("--years", help=_YEARS_HELP + "; the whole horizon is still simulated and written to results.nc, "
                                   "the printed tables and summary_totals.csv total over these years")

    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("scenario", type=Path, nargs="+", help="scenario files (TOML) to check")

    p = sub.add_parser("compare", help="run or read scenarios and print their differences")
    p.add_argument("scenario", type=Path, nargs="+", help="scenario files or result folders; the first is the "
                                                             "reference the others are differenced against")
    p.add_argument("--draws", type=_draws(), help=_DRAWS_HELP)
    p.add_argument("--seed", type=_seed, help=_SEED_HELP + "; one seed for all, so differences are paired")
    p.add_argument("--workers", type=_positive_int("--workers"), default=1, help=_WORKERS_HELP)
    p.add_argument("--out", type=Path, help="folder for comparison.csv (default results/compare)")
    p.add_argument("--years", help=_YEARS_HELP + "; 'last year' is LAST")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--quiet", action="store_true", help=_QUIET_HELP)

    p = sub.add_parser("report", help="write a self-contained HTML report of a results or compare folder")
    p.add_argument("folder", type=Path, help="a folder written by `sim run` or `sim compare`")
    p.add_argument("--lang", choices=("zh", "en"), help="one language only (default: Chinese and English)")
    p.add_argument("--years", help=_YEARS_HELP + " (a results folder; a compare folder has its years from `sim compare`)")

    p = sub.add_parser("export", help="write the results as tidy long tables (CSV or Parquet), or a summary "
                                      "workbook (Excel) with the tables beside it")
    p.add_argument("folder", type=Path, help="a results folder written by `sim run`")
    p.add_argument("--format", default="csv", help="csv (default), parquet, or xlsx: a summary workbook (totals, by "
                                                   "payer, programme and year, targets, payments) and the tables "
                                                   "beside it as Parquet")
    p.add_argument("--out", type=Path, help="folder for the tables (default DIR/export)")
    p.add_argument("--force", action="store_true", help="replace an output folder sim wrote (it has sim-output.json)")
    p.add_argument("--years", help=_YEARS_HELP + "; the per-year tables keep only these years")

    p = sub.add_parser("sensitivity", help="global sensitivity of chosen outputs to uncertain parameters")
    p.add_argument("scenario", type=Path, nargs="?", help="scenario file (or give --results)")
    p.add_argument("--results", type=Path, help="results folder to analyse instead of running (delta, pawn)")
    p.add_argument("--method", default="delta",
                   help="sobol (Saltelli: S1, ST), morris (screening), delta (Borgonovo, with S1) or pawn")
    p.add_argument("--draws", type=_draws(),
                   help="model runs (default: sobol 512 x (factors + 2), morris 10 x (factors + 1), "
                        "delta and pawn 256)")
    p.add_argument("--groups",
                   help="factors of sobol and morris: section (the scenario section of each parameter: "
                        "hydrogen.fleet, firms.behaviour ...; sobol's default), parameter (one factor each; "
                        "morris's default) or a .toml or .csv file of groups")
    p.add_argument("--group", action="append", metavar="NAME=GLOB,...",
                   help="a group of parameters (paths or globs; repeatable; a parameter is in the first "
                        "group that matches it)")
    p.add_argument("--interval-share", type=_share("--interval-share", 0.0, 1e6, False), default=None,
                   help="warn when a driver's interval half-width exceeds this share of its index (default 1.0)")
    p.add_argument("--min-variation", type=_share("--min-variation", 0.0, 1e6, True), default=None,
                   help="warn when an output's coefficient of variation across the runs is below this "
                        "(default 0.01)")
    p.add_argument("--seed", type=_seed, help=_SEED_HELP)
    p.add_argument("--workers", type=_positive_int("--workers"), default=1, help=_WORKERS_HELP)
    p.add_argument("--output", action="append",
                   help="VARIABLE[@YEAR][:DIM=VALUE,...], total_exposure_cny, target:ID, or part of a headline "
                        "(repeatable)")
    p.add_argument("--parameter", action="append", help="parameter path pattern (glob; repeatable)")
    p.add_argument("--levels", type=_positive_int("--levels"), default=4, help="levels of the Morris grid")
    p.add_argument("--top", type=_positive_int("--top"), default=10, help="parameters (or groups) shown per output")
    p.add_argument("--out", type=Path, help="folder for the indices (default results/<name>-sensitivity)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--quiet", action="store_true", help="no progress or notes on standard error")

    p = sub.add_parser("sweep", help="one scenario key over values with common random numbers; where outputs cross a level")
    p.add_argument("scenario", type=Path, help=_SCENARIO_HELP)
    p.add_argument("--key", required=True,
                   help='scenario key path as in a scenario file, e.g. hydrogen.economics.variable_opex_cny_per_kg or '
                        'instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg')
    p.add_argument("--values", required=True,
                   help="V1,V2,... in the order to run, or LOW:HIGH:N (N evenly spaced values, both ends included); "
                        "at most 50 values")
    p.add_argument("--outputs", action="append",
                   help="comma-separated (repeatable): a headline of `sim compare` (fiscal outlay, all programmes; "
                        "stations operating, last year ...), VARIABLE:PROGRAMME_ID (outlay:hydrogen.13.operating_subsidy), "
                        "or an output of `sim sensitivity` (stations_operating@2025); default: total outlay, the "
                        "per-kg station subsidies, stations and fleet in the last year")
    p.add_argument("--level", help="also report where each output's mean first passes this level")
    p.add_argument("--draws", type=_draws(), help=_DRAWS_HELP + "; the same draws for every value")
    p.add_argument("--seed", type=_seed, help=_SEED_HELP + "; one seed for every value, so differences are paired")
    p.add_argument("--workers", type=_positive_int("--workers"), default=1, help=_WORKERS_HELP)
    p.add_argument("--years", help="FIRST-LAST: totals over these years, 'last year' the last of them "
                                   "(default: the horizon)")
    p.add_argument("--out", type=Path, help="output folder (default results/sweep_<scenario name>_<last key part>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--quiet", action="store_true", help=_QUIET_HELP)

    p = sub.add_parser("calibrate", help="fit behavioural parameters to observed targets")
    p.add_argument("config", type=Path, help="calibration set-up (TOML: scenario, parameters, targets)")
    p.add_argument("--out", type=Path, help="fitted scenario file (default: the config's `output`)")
    p.add_argument("--force", action="store_true", help="replace an existing fitted file")
    p.add_argument("--quiet", action="store_true", help=_QUIET_HELP + " and the fitted values")

    p = sub.add_parser("hindcast", help="set every observation against the forecast band; coverage by year and role")
    p.add_argument("scenario", type=Path, help="scenario file (run now) or results folder (read)")
    p.add_argument("--draws", type=_draws(), help=_DRAWS_HELP)
    p.add_argument("--seed", type=_seed, help=_SEED_HELP)
    p.add_argument("--workers", type=_positive_int("--workers"), default=1, help=_WORKERS_HELP)
    p.add_argument("--observed", type=Path, help="observations file (default calibration/observed.toml)")
    p.add_argument("--out", type=Path, help="folder for hindcast.csv (default: the results folder, "
                                              "or results/<name>-hindcast; with --origin results/backtest-ORIGINS)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--origin", type=_origins, help="a rolling-origin backtest: refit on the observations up to "
                                                   "each YEAR (comma-separated), forecast the later ones and score them "
                                                   "against naive forecasts")
    p.add_argument("--calibration", type=Path, default=Path("calibration/baseline.toml"),
                   help="calibration refitted at each origin (default calibration/baseline.toml)")

    p = sub.add_parser("explore", help="an interactive page (Mesa's Solara visualisation) with sliders for the levers")
    p.add_argument("scenario", type=Path, help=_SCENARIO_HELP)
    p.add_argument("--host", default="127.0.0.1", help="address to serve the page on (default 127.0.0.1, this "
                                                        "machine only; 0.0.0.0 for every interface)")
    p.add_argument("--port", type=_positive_int("--port", _MAX_PORT), default=8765, help="port to serve on (default 8765)")
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="the page's first language (default en; the page has a switch, and a link's lang= wins)")

    p = sub.add_parser("parameters", help="list the behavioural parameters with their sources or assumptions")
    p.add_argument("scenario", type=Path, help=_SCENARIO_HELP)
    p.add_argument("--missing", action="store_true", help="only those with neither a source nor an assumption")

    p = sub.add_parser("policies", help="list the encoded instruments with their citations")
    p.add_argument("--document", help="only this document (centers, cohesion, ..., scaleup, or a scenario's own)")
    p.add_argument("--scenario", help="also list the documents this scenario adds ([policy] documents)")
    return parser


#: The last line of a bounded message: how many problems were not listed.
_MORE_PROBLEMS = re.compile(r"… and ([\d,]+) more problems?")


def _cmd_validate(args) -> int:
    from sim.scenario.loader import load_scenario

    failed = False
    # Problem lines of all the files together are capped at MAX_PROBLEM_LINES, then counted.
    budget, more_problems, more_files = MAX_PROBLEM_LINES, 0, 0
    for path in args.scenario:
        try:
            loaded = load_scenario(path)
        except SimError as exc:
            failed = True
            lines = bounded_message(str(exc)).splitlines()
            counted = _MORE_PROBLEMS.fullmatch(lines[-1]) if len(lines) > 1 else None
            listed = lines[:-1] if counted else lines
            total = len(listed) + (int(counted.group(1).replace(",", "")) if counted else 0)
            shown = max(0, min(len(listed), budget))
            if shown == len(listed):
                print("\n".join(lines), file=sys.stderr)  # the file's own count of the rest, if any, with it
            else:
                if shown:
                    print("\n".join(listed[:shown]), file=sys.stderr)
                more_problems += total - shown
                more_files += shown == 0
            budget -= shown
            continue
        n = len(loaded.policy.programs)
        print(f"{path}: ok ({loaded.scenario.name}: {n} programmes in force, "
              f"{loaded.scenario.horizon.first_year}-{loaded.scenario.horizon.last_year}, "
              f"{loaded.scenario.ensemble.draws} draws)")
        if loaded.unclaimed:
            print(f"  note: {len(loaded.unclaimed)} programmes in force pay 0 because no population of the scenario "
                  f"claims them: {', '.join(loaded.unclaimed)}")
    if more_problems:
        print(f"… and {more_problems:,} more problem{'s' if more_problems > 1 else ''}"
              + (f" ({more_files:,} more file{'s' if more_files > 1 else ''} with problems not shown)" if more_files else ""),
              file=sys.stderr)
    return EXIT_BAD_INPUT if failed else 0


def _cmd_policies(args) -> int:
    from sim.policy.gazette import load_gazette
    from sim.policy.listing import instrument_line
    from sim.policy.payers import payer_english

    if args.scenario is not None:
        from sim.scenario.loader import load_scenario

        gazette = load_scenario(args.scenario).policy.catalogue
    else:
        gazette = load_gazette()
    assert gazette is not None  # a loaded scenario's policy always carries its catalogue
    keys = list(gazette.documents)
    if args.document is not None and args.document not in keys:
        raise SimError(f"--document: unknown document '{args.document}'; allowed: {', '.join(keys)}")
    for key in keys:
        if args.document not in (None, key):
            continue
        doc = gazette.documents[key]
        until = doc.valid_until.isoformat() if doc.valid_until else "no end stated"
        print(f"{key}  {doc.number}  {doc.title_en}  (issued {doc.issued}, valid {doc.valid_from}..{until})"
              f"  [{gazette.files[key].name}]")
        for ins in gazette.by_document(key):
            print("  " + instrument_line(ins, payer_english(ins.payer, gazette.payer_names_en)))
        for tgt in gazette.targets.values():
            if tgt.id.startswith(key + "."):
                print(f"  {tgt.id}  target {tgt.year}: {tgt.quantity} {tgt.comparison} {tgt.value:,.0f} {tgt.unit}"
                      f"  [{tgt.citation}]")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cmd_parameters(args) -> int:
    from sim.scenario.loader import load_scenario
    from sim.scenario.provenance import list_parameters

    params = list_parameters(load_scenario(args.scenario).scenario)
    missing = [p for p in params if p.note is None]
    for p in missing if args.missing else params:
        note = "neither a source nor an assumption" if p.note is None else f"{p.note.kind}: {p.note.text}"
        unit = f" {p.note.unit}" if p.note is not None and p.note.unit else ""
        print(f"{_cut(p.dotted, 64):64s}  {_cut(p.shown_value + unit, 44):44s}  {_cut(note, 110)}")
    sourced = sum(p.note is not None and p.note.kind == "source" for p in params)
    assumed = sum(p.note is not None and p.note.kind == "assumption" for p in params)
    print(f"{len(params)} parameters: {sourced} sourced, {assumed} assumed, {len(missing)} with neither")
    return EXIT_BAD_INPUT if args.missing and missing else 0


def _cmd_run(args) -> int:
    from sim.analysis.report_text import print_run_summary
    from sim.analysis.results import write_outputs
    from sim.runner.progress import Progress
    from sim.runner.run import run_scenario
    from sim.runner.staging import staged_folder, work_path
    from sim.scenario.loader import input_files, load_scenario

    loaded = load_scenario(args.scenario)
    # Checked against the horizon before anything runs or is written.
    years = parse_years(args.years, [int(y) for y in loaded.policy.years]) if args.years is not None else None
    out = args.out or Path("results") / loaded.scenario.name
    n_draws = args.draws or loaded.scenario.ensemble.draws
    notice = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    progress = Progress(f"draws of {loaded.scenario.name}", quiet=args.quiet)
    # The finished draws are saved in .NAME.chunks beside the folder, which any failure leaves for --resume.
    with staged_folder(out, args.force, resume=args.resume, keep="chunks", protect=input_files(loaded)) as staging:
        progress(0, n_draws)
        ds = run_scenario(loaded, args.draws, args.seed, args.workers, args.scheduler, work_path(out, "chunks"),
                          progress, args.scheduler_timeout, notice)
        write_outputs(ds, staging, years=years)
    if not args.quiet:
        print_run_summary(ds, out, years)
        note = _entrants_note(loaded.scenario, ds)
        if note:
            print(note)
    return 0


def _entrants_note(scenario, ds) -> str | None:
    """What a firms CSV was joined by: the synthetic entrants of the sectors' entry_per_year."""
    firms = scenario.firms
    if firms is None or not firms.enabled or firms.source != "csv" or "firm_births" not in ds:
        return None
    if not firms.synthetic_entrants:
        return f"note: firms from {firms.csv} only; no synthetic entrants ([firms] synthetic_entrants = false)"
    births = ds["firm_births"].sum([d for d in ds["firm_births"].dims if d != "draw"])
    return (f"note: the {firms.csv} firms were joined by {float(births.mean()):,.0f} synthetic entrants "
            f"(mean over {ds.sizes['draw']} draws, {int(ds['year'][0])}-{int(ds['year'][-1])}) from the sectors' "
            "entry_per_year; [firms] synthetic_entrants = false turns them off")


def _cmd_compare(args) -> int:
    from sim.analysis.compare import compare_command

    return compare_command(args)


def _origins(text: str) -> list[int]:
    from sim.scenario.base import YEAR_MAX, YEAR_MIN

    years = []
    for part in text.split(","):
        try:
            year = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--origin must be years separated by commas (got {cut_text(repr(text))})")\
                from None
        if not YEAR_MIN <= year <= YEAR_MAX:
            raise argparse.ArgumentTypeError(f"--origin years must lie in {YEAR_MIN}..{YEAR_MAX} (got {year})")
        years.append(year)
    if len(set(years)) != len(years):
        raise argparse.ArgumentTypeError(f"--origin gives a year twice (got {cut_text(repr(text))})")
    return years


def _cmd_hindcast(args) -> int:
    from sim.analysis.hindcast import hindcast_command

    if not args.scenario.exists():
        raise SimError(f"sim hindcast: {args.scenario}: no such scenario file or results folder")
    if args.origin:
        from sim.analysis.backtest import backtest_command

        if args.scenario.is_dir():
            raise SimError(f"sim hindcast: --origin refits and reruns: give a scenario file, not the results folder "
                           f"{args.scenario}")
        return backtest_command(args)
    return hindcast_command(args)


def _cmd_calibrate(args) -> int:
    from sim.analysis.calibration import calibrate, identification_rows, load_calibration, write_fitted_scenario
    from sim.input_files import held_inputs
    from sim.runner.progress import Progress
    from sim.runner.staging import check_not_input
    from sim.scenario.loader import input_files, load_scenario

    config, scenario_path = load_calibration(args.config)
    out = args.out or (args.config.parent / config.output)
    base = load_scenario(scenario_path)
    # The fitted file and its identification table never replace the config, the scenario, a
    # file it extends, a CSV or a document (the fitted file would extend itself).
    inputs = [args.config, args.config.parent / config.observed_file, *input_files(base)]
    flag = "--out" if args.out is not None else f"{args.config}: output"
    for written in (out, out.with_name(out.stem + ".identification.csv"), out.with_name(out.stem + ".posterior.csv")):
        check_not_input(written, inputs, flag)
    if out.exists() and not args.force:
        raise SimError(f"--out {out}: file exists; use --force to replace it")
    if not out.parent.is_dir():
        raise SimError(f"--out {out}: folder {out.parent} does not exist")

    bar = Progress("evaluations", quiet=args.quiet or config.method == "abc-smc")

    def progress(n: int, loss) -> None:
        if config.method == "abc-smc":
            if not args.quiet:
                print(f"  {loss}", file=sys.stderr, flush=True)  # one line per generation
            return
        # The optimiser may take a few evaluations more than the budget it is given.
        bar(n, max(n, config.max_evaluations))

    with held_inputs(base.inputs):  # every evaluation reads the files as they were at the start
        result = calibrate(config, scenario_path, str(args.config), progress)
    bar(result.evaluations, result.evaluations)
    write_fitted_scenario(out, scenario_path, out.stem, result, config)
    report = out.with_name(out.stem + ".identification.csv")
    _write_identification(report, identification_rows(result, config))
    if not args.quiet and result.posterior is not None:
        print(f"  {'parameter':55} {'prior mean (sd)':>22} {'posterior mean (sd)':>22}  moved?")
        for row in identification_rows(result, config):
            print(f"  {row['parameter']:55} {row['prior_mean']:>12.4g} ({row['prior_sd']:.3g}) "
                  f"{row['posterior_mean']:>12.4g} ({row['posterior_sd']:.3g})  "
                  + ("yes" if row["moved_by_data"] else "NO: the data leave the prior"))
        for i, (t, s) in enumerate(zip(config.target, result.simulated, strict=False)):
            print(f"  target {t.observed}: observed {t.value:,.6g} +- {result.target_sd[i]:,.4g}, "
                  f"posterior predictive mean {s:,.6g}")
    elif not args.quiet:
        for path, value in result.values.items():
            flag = "  (not identified by the targets)" if path in result.not_identified else ""
            print(f"{path} = {value!r}  (posterior sd {result.posterior_sd[path]:.4g}){flag}")
        for i, (t, s) in enumerate(zip(config.target, result.simulated, strict=False)):
            label = t.observed or f"{t.variable} {t.select or ''} {t.year or ''}"
            print(f"  target {label}: observed {t.value:,.6g} +- {result.target_sd[i]:,.4g}, simulated {s:,.6g}")
        print("  identification (target sds per parameter range):")
        for j, p in enumerate(config.parameter):
            cells = "  ".join(f"{result.sensitivity[i, j]:+8.3g}" for i in range(len(config.target)))
            print(f"    {p.path:55} {cells}")
    print(f"fitted scenario written to {out}, identification to {report} "
          f"(loss {result.loss:.6g}, {result.evaluations} ensembles)")
    return 0


def _write_identification(path: Path, rows: list[dict]) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["parameter"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from sim.runner.staging import write_text_file

    write_text_file(path, buf.getvalue())


#: Solara's warning, once per browser session, that its session cookie falls back to SameSite=Lax over http.
_SAMESITE_WARNING = "ignore:Cookies with samesite=none require https:UserWarning"


def _cmd_explore(args) -> int:
    import os
    import shutil as _shutil

    from sim.analysis.explore import LANG_ENV, SCENARIO_ENV
    from sim.scenario.loader import load_scenario

    load_scenario(args.scenario)  # refuse a bad scenario here, with the usual one-line errors
    solara = _shutil.which("solara", path=os.path.dirname(sys.executable)) or _shutil.which("solara")
    if solara is None:
        raise SimError("sim explore: needs solara (pip install 'mesa[viz]')")
    _check_port_free(args.host, args.port)
    # No "runs on Solara" badge over the last chart; no warning per session that a cookie cannot be
    # SameSite=None over plain http (that matters only to a page embedded in another site's frame).
    warnings = ",".join(w for w in (os.environ.get("PYTHONWARNINGS"), _SAMESITE_WARNING) if w)
    env = dict(os.environ, **{SCENARIO_ENV: str(args.scenario.resolve()), LANG_ENV: args.lang,
                              "SOLARA_THEME_SHOW_BANNER": "False", "PYTHONWARNINGS": warnings})
    print(f"serving the explore page of {args.scenario} on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    os.execve(solara, [solara, "run", "sim.analysis.explore_app", "--host", args.host, "--port", str(args.port),
                       "--production"], env)
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, an address the explore server could not listen on (in use, or no such host).

    The check binds and closes at once: the server binds the same address a moment later (a
    program taking the port in between would still make it fail, with its own message).
    """
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SimError(f"sim explore: --host {cut_text(host)}: not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As a server sets it: a port left in TIME_WAIT by an earlier run is free to reuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SimError(f"sim explore: cannot listen on {cut_text(host)}:{port} ({exc.strerror}); "
                           "choose another --port (or --host)") from None


def _cmd_report(args) -> int:
    from sim.analysis.report import write_report

    path = write_report(args.folder, args.lang, years=args.years, years_name="--years")
    print(f"report written to {path}")
    return 0


def _cmd_export(args) -> int:
    from sim.analysis.export import write_export

    written = write_export(args.folder, args.format, args.out, args.force, years=args.years,
                           years_name="--years")
    print(f"{len(written)} file(s) written to {written[0].parent}/")
    return 0


def _cmd_sweep(args) -> int:
    from sim.analysis.sweep import sweep_command

    return sweep_command(args)


def _cmd_sensitivity(args) -> int:
    from sim.analysis.sensitivity import sensitivity_command

    return sensitivity_command(args)


_COMMANDS = {
    "run": _cmd_run,
    "validate": _cmd_validate,
    "policies": _cmd_policies,
    "parameters": _cmd_parameters,
    "compare": _cmd_compare,
    "report": _cmd_report,
    "export": _cmd_export,
    "calibrate": _cmd_calibrate,
    "hindcast": _cmd_hindcast,
    "explore": _cmd_explore,
    "sensitivity": _cmd_sensitivity,
    "sweep": _cmd_sweep,
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: workers stopped, staging removed, finished draws kept."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A `--workers` cut (``WorkersCapped``) is one line; other warnings as Python shows them."""
    if category.__name__ == "WorkersCapped":
        print(str(message), file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sim``; returns the exit status."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    args = None
    try:
        args = build_parser().parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _COMMANDS[args.command](args)
    except SimError as exc:
        print(bounded_message(str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        # Only a command that has --resume (`sim run`) is advised to use it.
        advice = " (rerun with --resume to reuse finished draws)" if getattr(args, "resume", None) is not None else ""
        print(f"{what}; no output folder was written{advice}", file=sys.stderr)
        return 128 + signal.SIGTERM if isinstance(exc, _Terminated) else 130
    except OSError as exc:
        if exc.errno not in _DISK_FULL:
            return _internal_error(exc)
        # Disk full or a file-size limit while writing: the environment, not a bug. Output
        # folders are staged, so nothing half-written is left in place.
        print(f"sim: {exc.filename or 'an output file'}: cannot be written ({exc.strerror}); no output was written",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug, not bad input: one line, and the traceback on request
        return _internal_error(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _internal_error(exc: Exception) -> int:
    """A bug, not bad input: one line, and the traceback with ``SIM_DEBUG=1``."""
    if os.environ.get("SIM_DEBUG"):
        raise exc
    print(f"sim: internal error ({type(exc).__name__}: {exc}); no output was written. This is a bug: "
          "please report it with the scenario; SIM_DEBUG=1 shows the traceback", file=sys.stderr)
    return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
