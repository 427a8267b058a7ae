"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only NAME] [--out FILE.json]``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
from pathlib import Path

import benchmarks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI: checks the suite runs")
    parser.add_argument("--only", help="run only bench_<ONLY>")
    parser.add_argument("--out", type=Path, help="write the measurements as JSON")
    args = parser.parse_args(argv)
    modules = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if args.only:
        modules = [m for m in modules if m == f"bench_{args.only}"]
        if not modules:
            print(f"--only: no benchmark bench_{args.only}", file=sys.stderr)
            return 2
    results = []
    for name in modules:
        module = importlib.import_module(f"benchmarks.{name}")
        for m in module.run(args.quick):
            results.append({"benchmark": name} | m.as_dict())
    print(f"{'benchmark':18s} {'measurement':44s} {'value':>14s} {'unit':16s} {'ratio':>10s}  meaning / target")
    for r in results:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:10.2f}"
        print(f"{r['benchmark'][6:]:18s} {r['name'][:44]:44s} {r['value']:14.4g} {r['unit'][:16]:16s} {ratio:>10s}  "
              f"{r['ratio_meaning']} {('(target ' + r['target'] + ')') if r['target'] else ''}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"quick": args.quick, "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                                     "platform": platform.platform()}, "results": results}
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2))
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
