"""The ``sim`` command.

Every error a user can cause ends with one line per problem on standard error and exit status 2;
outputs are staged beside the target folder and renamed into place only when complete.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from sim.errors import SimError

__all__ = ["main", "build_parser"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise SimError(f"{self.prog}: {message}")


def _positive_int(flag: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number >= 1 (got {text!r})") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number >= 1 (got {text!r})")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number >= 0 (got {text!r})") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"--seed must be a whole number in 0..2**63-1 (got {text!r})")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``sim`` and its subcommands."""
    parser = _Parser(prog="sim", description="Simulate and forecast the impact of the Beijing gazette 2022 No. 44.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="run a scenario's ensemble and write results")
    p.add_argument("scenario", type=Path)
    p.add_argument("--draws", type=_positive_int("--draws"))
    p.add_argument("--seed", type=_seed)
    p.add_argument("--out", type=Path, help="output folder (default results/<scenario name>)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--workers", type=_positive_int("--workers"), default=1)
    p.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    p.add_argument("--scheduler-timeout", type=_positive_int("--scheduler-timeout"), default=60,
                   help="seconds allowed to reach the scheduler and for a worker to join it (default 60)")
    p.add_argument("--resume", action="store_true", help="reuse the draws an interrupted run already saved")
    p.add_argument("--quiet", action="store_true")

    p = sub.add_parser("validate", help="check scenario files")
    p.add_argument("scenario", type=Path, nargs="+")

    p = sub.add_parser("compare", help="run or read scenarios and print their differences")
    p.add_argument("scenario", type=Path, nargs="+", help="scenario files or result folders")
    p.add_argument("--draws", type=_positive_int("--draws"))
    p.add_argument("--seed", type=_seed)
    p.add_argument("--workers", type=_positive_int("--workers"), default=1)
    p.add_argument("--out", type=Path, help="folder for comparison.csv (default results/compare)")
    p.add_argument("--force", action="store_true")

    p = sub.add_parser("report", help="write a self-contained HTML report of a results folder")
    p.add_argument("folder", type=Path)

    p = sub.add_parser("sensitivity", help="global sensitivity of chosen outputs to uncertain parameters")
    p.add_argument("scenario", type=Path, nargs="?", help="scenario file (or give --results)")
    p.add_argument("--results", type=Path, help="results folder to analyse instead of running (delta, pawn)")
    p.add_argument("--method", default="delta",
                   help="sobol (Saltelli: S1, ST), morris (screening), delta (Borgonovo, with S1) or pawn")
    p.add_argument("--draws", type=_positive_int("--draws"),
                   help="model runs (default: sobol 64 x (parameters + 2), morris 10 x (parameters + 1), "
                        "delta and pawn 256)")
    p.add_argument("--seed", type=_seed)
    p.add_argument("--workers", type=_positive_int("--workers"), default=1)
    p.add_argument("--output", action="append",
                   help="VARIABLE[@YEAR][:DIM=VALUE,...], total_exposure_cny, target:ID, or part of a headline "
                        "(repeatable)")
    p.add_argument("--parameter", action="append", help="parameter path pattern (glob; repeatable)")
    p.add_argument("--levels", type=_positive_int("--levels"), default=4, help="levels of the Morris grid")
    p.add_argument("--top", type=_positive_int("--top"), default=10, help="parameters shown per output")
    p.add_argument("--out", type=Path, help="folder for the indices (default results/<name>-sensitivity)")
    p.add_argument("--force", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress or notes on standard error")

    p = sub.add_parser("calibrate", help="fit behavioural parameters to observed targets")
    p.add_argument("config", type=Path)
    p.add_argument("--out", type=Path, help="fitted scenario file (default: the config's `output`)")
    p.add_argument("--force", action="store_true", help="replace an existing fitted file")
    p.add_argument("--quiet", action="store_true")

    p = sub.add_parser("hindcast", help="set every observation against the forecast band; coverage by year and role")
    p.add_argument("scenario", type=Path, help="scenario file (run now) or results folder (read)")
    p.add_argument("--draws", type=_positive_int("--draws"))
    p.add_argument("--seed", type=_seed)
    p.add_argument("--workers", type=_positive_int("--workers"), default=1)
    p.add_argument("--observed", type=Path, help="observations file (default calibration/observed.toml)")
    p.add_argument("--out", type=Path, help="folder for hindcast.csv (default: the results folder, "
                                              "or results/<name>-hindcast)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")

    p = sub.add_parser("explore", help="an interactive page (Mesa's Solara visualisation) with sliders for the levers")
    p.add_argument("scenario", type=Path)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_positive_int("--port"), default=8765)

    p = sub.add_parser("parameters", help="list the behavioural parameters with their sources or assumptions")
    p.add_argument("scenario", type=Path)
    p.add_argument("--missing", action="store_true", help="only those with neither a source nor an assumption")

    p = sub.add_parser("policies", help="list the encoded instruments with their citations")
    p.add_argument("--document", help="only this document (centers, cohesion, ..., scaleup, or a scenario's own)")
    p.add_argument("--scenario", help="also list the documents this scenario adds ([policy] documents)")
    return parser


def _cmd_validate(args) -> int:
    from sim.scenario.loader import load_scenario

    failed = False
    for path in args.scenario:
        try:
            loaded = load_scenario(path)
        except SimError as exc:
            print(str(exc), file=sys.stderr)
            failed = True
            continue
        n = len(loaded.policy.programs)
        print(f"{path}: ok ({loaded.scenario.name}: {n} programmes in force, "
              f"{loaded.scenario.horizon.first_year}-{loaded.scenario.horizon.last_year}, "
              f"{loaded.scenario.ensemble.draws} draws)")
        if loaded.unclaimed:
            print(f"  note: {len(loaded.unclaimed)} programmes in force pay 0 because no population of the scenario "
                  f"claims them: {', '.join(loaded.unclaimed)}")
    return EXIT_BAD_INPUT if failed else 0


def _cmd_policies(args) -> int:
    from sim.policy.gazette import load_gazette
    from sim.policy.listing import instrument_line

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
            print("  " + instrument_line(ins))
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
    from sim.engine.run import run_scenario
    from sim.engine.staging import staged_folder, work_path
    from sim.scenario.loader import input_files, load_scenario

    loaded = load_scenario(args.scenario)
    out = args.out or Path("results") / loaded.scenario.name
    notice = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    progress = None
    if not args.quiet and sys.stderr.isatty():
        def progress(done: int, total: int) -> None:
            print(f"\r{done}/{total} draws", end="" if done < total else "\n", file=sys.stderr, flush=True)
    # The finished draws are saved in .NAME.chunks beside the folder, which any failure leaves for --resume.
    with staged_folder(out, args.force, resume=args.resume, keep="chunks", protect=input_files(loaded)) as staging:
        ds = run_scenario(loaded, args.draws, args.seed, args.workers, args.scheduler, work_path(out, "chunks"),
                          progress, args.scheduler_timeout, notice)
        write_outputs(ds, staging)
    if not args.quiet:
        print_run_summary(ds, out)
    return 0


def _cmd_compare(args) -> int:
    from sim.analysis.compare import compare_command

    return compare_command(args)


def _cmd_hindcast(args) -> int:
    from sim.analysis.hindcast import hindcast_command

    if not args.scenario.exists():
        raise SimError(f"sim hindcast: {args.scenario}: no such scenario file or results folder")
    return hindcast_command(args)


def _cmd_calibrate(args) -> int:
    from sim.analysis.calibration import calibrate, identification_rows, load_calibration, write_fitted_scenario

    config, scenario_path = load_calibration(args.config)
    out = args.out or (args.config.parent / config.output)
    if out.exists() and not args.force:
        raise SimError(f"--out {out}: file exists; use --force to replace it")
    if not out.parent.is_dir():
        raise SimError(f"--out {out}: folder {out.parent} does not exist")

    def progress(n: int, loss: float) -> None:
        if not args.quiet:
            print(f"  evaluation {n}: loss {loss:.6g}", file=sys.stderr)

    result = calibrate(config, scenario_path, str(args.config), progress)
    write_fitted_scenario(out, scenario_path, out.stem, result, config)
    report = out.with_name(out.stem + ".identification.csv")
    _write_identification(report, identification_rows(result, config))
    if not args.quiet:
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
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    tmp.replace(path)


def _cmd_explore(args) -> int:
    import os
    import shutil as _shutil

    from sim.analysis.explore import SCENARIO_ENV
    from sim.scenario.loader import load_scenario

    load_scenario(args.scenario)  # refuse a bad scenario here, with the usual one-line errors
    solara = _shutil.which("solara", path=os.path.dirname(sys.executable)) or _shutil.which("solara")
    if solara is None:
        raise SimError("sim explore: needs solara (pip install 'mesa[viz]')")
    env = dict(os.environ, **{SCENARIO_ENV: str(args.scenario.resolve())})
    print(f"serving the explore page of {args.scenario} on http://{args.host}:{args.port}/ (Ctrl-C stops)")
    os.execve(solara, [solara, "run", "sim.analysis.explore_app", "--host", args.host, "--port", str(args.port),
                       "--production"], env)
    return 0


def _cmd_report(args) -> int:
    from sim.analysis.report import write_report

    path = write_report(args.folder)
    print(f"report written to {path}")
    return 0


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
    "calibrate": _cmd_calibrate,
    "hindcast": _cmd_hindcast,
    "explore": _cmd_explore,
    "sensitivity": _cmd_sensitivity,
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: workers stopped, staging removed, finished draws kept."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sim``; returns the exit status."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        args = build_parser().parse_args(argv)
        return _COMMANDS[args.command](args)
    except SimError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, _Terminated) else "interrupted"
        print(f"{what}; no output folder was written (rerun with --resume to reuse finished draws)", file=sys.stderr)
        return 128 + signal.SIGTERM if isinstance(exc, _Terminated) else 130
    except Exception as exc:  # a bug, not bad input: one line, and the traceback on request
        if os.environ.get("SIM_DEBUG"):
            raise
        print(f"sim: internal error ({type(exc).__name__}: {exc}); no output was written. This is a bug: "
              "please report it with the scenario; SIM_DEBUG=1 shows the traceback", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
