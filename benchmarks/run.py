"""docker-magics against buildah, skopeo and the Linux floor, side by side in one run (issue 7).

    .venv/bin/python benchmarks/run.py [--runs 5] [--quick] [--only cached,run] [--json OUT]
    .venv/bin/python benchmarks/run.py --markdown benchmarks/results.json > benchmarks/RESULTS.md

Installs nothing: checks that buildah, skopeo, unshare and bwrap exist and says how to install
them. Needs root (buildah's chroot isolation with its own storage, the namespace floor) and a
static busybox. The Debian base is bootstrapped once with ``docker-magics bootstrap`` and kept
in ``--debian-store``. Prints one table of medians; ``speed-up`` is peer time / our time, so
targets read "at least N" (10 = ten times faster, 0.5 = at most twice as slow).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases  # noqa: E402
import fixtures  # noqa: E402
from peers import INSTALL_HINT, Buildah, missing_tools, version  # noqa: E402
from report import RSS_TARGET_MB, markdown, table  # noqa: E402
from timing import cli_env  # noqa: E402


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per contender (default 5)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="3 runs, 2,000 files and a 50 MB file: a smoke run, not the issue's sizes",
    )
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(cases.ALL)}")
    ap.add_argument("--debian-store", help="store holding debian:bookworm (bootstrapped if not)")
    ap.add_argument(
        "--buildah-driver", choices=["overlay", "vfs"], help="default: overlay if it works"
    )
    ap.add_argument("--json", help="also write every run's numbers here")
    ap.add_argument(
        "--markdown", metavar="JSON", help="print the results page for a run's JSON and exit"
    )
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    return ap.parse_args()


def _preflight() -> None:
    missing = missing_tools()
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)}; {INSTALL_HINT}")
    if os.geteuid() != 0:
        raise SystemExit("run as root: buildah's chroot isolation and the namespace floor need it")
    if not fixtures.have_busybox():
        raise SystemExit("needs a static busybox: apt-get install busybox-static")


def machine() -> str:
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    fs = "?"
    with open("/proc/mounts") as fh:
        best = ""
        for line in fh:
            dev, mnt, kind = line.split()[:3]
            if tempfile.gettempdir().startswith(mnt) and len(mnt) >= len(best):
                best, fs = mnt, f"{kind} ({dev} on {mnt})"
    return (
        f"nproc {os.cpu_count()}, {mem_kb / 2**20:.1f} GiB RAM, kernel {platform.release()}, "
        f"temp dir fs {fs}; python {platform.python_version()}, {version('buildah')}, "
        f"{version('skopeo')}"
    )


def main() -> None:
    args = _args()
    if args.markdown:
        with open(args.markdown) as fh:
            sys.stdout.write(markdown(json.load(fh), args.markdown))
        return
    _preflight()
    runs = 3 if args.quick else args.runs
    wanted = [w for w in args.only.split(",") if w] or list(cases.ALL)
    unknown = set(wanted) - set(cases.ALL)
    if unknown:
        raise SystemExit(
            f"unknown --only {', '.join(sorted(unknown))}; known: {', '.join(cases.ALL)}"
        )
    work = tempfile.mkdtemp(prefix="dm-bench-")
    started = time.monotonic()
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = os.getloadavg()[0]
    buildah = Buildah(os.path.join(work, "buildah"), args.buildah_driver)
    try:
        tree, bb_tar = fixtures.busybox_tar(work)
        deb_tar = fixtures.debian_tar(args.debian_store)
        buildah.import_tar(bb_tar, "busybox:latest", [fixtures.PATH_ENV])
        bench = cases.Bench(
            work=work,
            runs=runs,
            buildah=buildah,
            busybox_tree=tree,
            busybox_tar=bb_tar,
            debian_tar=deb_tar,
            cli_env=cli_env(os.path.join(work, "pycache")),
            files=2_000 if args.quick else 20_000,
            megabytes=50 if args.quick else 500,
        )
        print(machine())
        print(f"buildah storage driver: {buildah.driver}; runs: {runs} (+1 warm-up); medians")
        rows: list[cases.Row] = []
        for name in wanted:
            t0 = time.monotonic()
            rows += cases.ALL[name](bench)
            print(f"  {name}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
        described = [cases.describe(r) for r in rows]
        print(table(described))
        ours_rss = max(r.ours.rss_kb for r in rows if r.ours_is_ours) / 1024
        print(f"largest peak RSS of ours: {ours_rss:.0f} MB (target < {RSS_TARGET_MB} MB)")
        suite_s = time.monotonic() - started
        print(f"suite time: {suite_s:.0f} s")
        if args.json:
            run = {
                "command": " ".join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]]),
                "started": started_at,
                "machine": machine(),
                "load_start": load_start,
                "load_end": os.getloadavg()[0],
                "buildah_driver": buildah.driver,
                "runs": runs,
                "suite_s": suite_s,
                "rows": described,
            }
            with open(args.json, "w") as fh:
                json.dump(run, fh, indent=1)
    finally:
        buildah.reset()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            cases._rmtree(work)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
