"""Side-by-side timings: ours against the raw Linux floor (and, where installed, buildah).

    .venv/bin/python benchmarks/run.py [--runs 7] [--big-tar PATH]

Installs nothing. Prints one table of medians and ratios; absolute times on shared machines are
noise, the ratios measured in one run are what matter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

from rootfs import make_busybox_tree, tar_tree  # noqa: E402

from docker_magics.api import Engine  # noqa: E402


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up: page cache, unpacked snapshots
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def big_tree(root: str, megabytes: int = 170) -> str:
    """A Debian-sized tree: ~12,000 files in ~600 dirs, sizes skewed like a distribution's."""
    make_busybox_tree(root)
    total, i = 0, 0
    rnd = os.urandom(1 << 20)
    while total < megabytes << 20:
        d = os.path.join(root, "usr", "share", f"pkg{i // 20}")
        os.makedirs(d, exist_ok=True)
        size = (4096, 16384, 65536, 2048, 300_000)[i % 5]
        with open(os.path.join(d, f"f{i}"), "wb") as fh:
            fh.write(rnd[:size])
        total += size
        i += 1
    return root


def row(name: str, ours: float, peer: float | None, peer_name: str, target: str) -> list[str]:
    ratio = f"{ours / peer:.2f}x" if peer else "-"
    peer_s = f"{peer * 1000:.1f} ms" if peer else "n/a"
    return [name, f"{ours * 1000:.1f} ms", f"{peer_name}: {peer_s}", ratio, target]


def bench_run_true(eng: Engine, rootfs: str, runs: int) -> list[list[str]]:
    rows = []
    inproc = median_time(lambda: eng.run("small", ["true"], remove=True), runs)
    cli = [
        sys.executable,
        "-m",
        "docker_magics",
        "--root",
        eng.store.root,
        "run",
        "--rm",
        "small",
        "true",
    ]
    as_cli = median_time(lambda: subprocess.run(cli, check=True), runs)
    floor_cmd = [
        "unshare",
        "--mount",
        "--pid",
        "--uts",
        "--ipc",
        "--fork",
        "--mount-proc",
        "chroot",
        rootfs,
        "/bin/true",
    ]
    if os.geteuid() != 0:
        floor_cmd = ["unshare", "-r", *floor_cmd[1:]]
    floor = median_time(lambda: subprocess.run(floor_cmd, check=True), runs)
    rows.append(row("run IMAGE true (in-process)", inproc, floor, "unshare", "within 3x"))
    rows.append(row("run IMAGE true (CLI process)", as_cli, floor, "unshare", "-"))
    if shutil.which("bwrap"):
        bw = [
            "bwrap",
            "--bind",
            rootfs,
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "/bin/true",
        ]
        bwt = median_time(lambda: subprocess.run(bw, check=True), runs)
        rows.append(row("run IMAGE true (in-process)", inproc, bwt, "bwrap", "within 3x"))
    return rows


def bench_commit(eng: Engine, image: str, runs: int) -> float:
    counter = iter(range(1_000_000))

    def once() -> None:
        name = f"c{next(counter)}"
        eng.run(image, ["sh", "-c", "echo x > /one-file"], name=name)
        start = time.perf_counter()
        eng.commit(name, None)
        timings.append(time.perf_counter() - start)
        eng.rm(name)

    timings: list[float] = []
    for _ in range(runs + 1):
        once()
    return statistics.median(timings[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--big-tar", help="a real ~170 MB Debian rootfs tar (else a synthetic tree)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dm-bench-")
    try:
        eng = Engine(os.path.join(work, "store"))
        small_root = make_busybox_tree(os.path.join(work, "small"))
        eng.import_image(tar_tree(small_root, os.path.join(work, "small.tar")), "small")
        big = args.big_tar or tar_tree(
            big_tree(os.path.join(work, "big")), os.path.join(work, "big.tar")
        )
        eng.import_image(big, "big")
        print(f"backend: {eng.backend().name}; runs: {args.runs}; medians")
        rows = bench_run_true(eng, small_root, args.runs)
        small_c = bench_commit(eng, "small", args.runs)
        big_c = bench_commit(eng, "big", args.runs)
        big_mb = eng.image("big").size / 1e6
        rows.append(
            row(
                f"commit one file on {big_mb:.0f} MB base",
                big_c,
                small_c,
                "on 2 MB busybox",
                "within 2x",
            )
        )
        from docker_magics.textfmt import table

        print(table(["measure", "ours", "peer", "ratio", "target"], rows))
    finally:
        from docker_magics.layer.extract import safe_rmtree

        safe_rmtree(work)


if __name__ == "__main__":
    main()
