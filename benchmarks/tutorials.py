"""The tutorials in the root world and in the Binder worlds, side by side: wall time, ratio to
root, peak memory, and where the time goes.

    .venv/bin/python benchmarks/tutorials.py [--rounds 1] [--worlds root,binder,binder-k3s]
        [--notebooks 01,02,03,04] [--json FILE]

Run as root. Each notebook runs headless (tests/notebooks/execute.py, a real kernel) with a
fresh store and a fresh copy of examples/ per run, in each world of tests/worlds.py in turn
(one notebook in every world before the next notebook, so load changes hit all worlds alike):
``root``; ``binder`` (scripts/binder-sim --profile runtime-default: uid 1000, containerd's
RuntimeDefault seccomp, 2 GB, 1 CPU); ``binder-k3s`` (--profile k3s-apparmor: mounts refused).
Base images: Docker Hub where reachable, else the local mirror of tests/notebooks/mirror.py
(node:20 made with mmdebstrap: ~1,000 MB, ~40,000 files).

Columns: wall = the notebook's execution (kernel start included); ratio = wall / root's wall of
the same notebook in the same round; peak = binder-sim's peak anon+shmem of the kernel and all it
started (what the OOM killer counts; page cache excluded), none for root (no cgroup there).
Phases (DOCKER_MAGICS_PHASES, docker_magics/phases.py): seconds summed over every container and
RUN step of the notebook: rootfs (private tree: copy/extract), manifest (record its metadata),
process (the container's processes: under ptrace in PRoot), changes (compare), layer (write),
remove (delete a container's tree), keep (keep it instead, snapshot/ready.py); "other" = wall
minus their sum (kernel, Python, display).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))

from notebooks import mirror  # noqa: E402
from notebooks.runner import make_kernel_env, run_notebook  # noqa: E402
from worlds import World, skip_unless_world  # noqa: E402

from docker_magics.phases import ENV_VAR  # noqa: E402

NOTEBOOKS = {
    "01": "01-images-and-layers",
    "02": "02-containers-and-commits",
    "03": "03-whats-in-a-layer",
    "04": "04-cache-deep-dive",
}
PHASES = ["rootfs", "manifest", "process", "changes", "layer", "remove", "keep"]


def _phases(path: str) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                name, _, seconds = line.partition(" ")
                sums[name] += float(seconds)
    return dict(sums)


def _peak(world: World) -> int | None:
    if not os.path.exists(world.report):
        return None
    with open(world.report) as fh:
        runs = [json.loads(line) for line in fh if line.strip()]
    return runs[-1].get("peak_anon_shmem_mib") if runs else None


def run_one(world_name: str, name: str, hub: dict[str, str], env_dir: str) -> dict:
    skip_unless_world(world_name)
    world = World(world_name)
    try:
        log = os.path.join(world.base, "phases.log")
        open(log, "w").close()
        os.chmod(log, 0o666)
        result, _nb, _html = run_notebook(world, name, None, {**hub, ENV_VAR: log}, env_dir, 3600)
        return {
            "world": world_name,
            "notebook": name,
            "wall_s": result["seconds"],
            "errors": result["errors"],
            "peak_mib": _peak(world),
            "phases": _phases(log),
        }
    finally:
        world.close()


def table(rows: list[dict]) -> str:
    root = {(r["notebook"], r["round"]): r["wall_s"] for r in rows if r["world"] == "root"}
    out = [
        "| tutorial | world | wall s | ratio | peak MiB | "
        + " | ".join(PHASES)
        + " | other | errors |",
        "|---|---|---|---|---|" + "---|" * len(PHASES) + "---|---|",
    ]
    for r in rows:
        base = root.get((r["notebook"], r["round"]))
        ratio = f"{r['wall_s'] / base:.1f}x" if base else "-"
        ph = r["phases"]
        other = r["wall_s"] - sum(ph.get(p, 0.0) for p in PHASES)
        cells = [f"{ph.get(p, 0.0):.1f}" for p in PHASES]
        out.append(
            f"| {r['notebook']} | {r['world']} | {r['wall_s']:.1f} | {ratio} | "
            f"{r['peak_mib'] if r['peak_mib'] is not None else '-'} | "
            + " | ".join(cells)
            + f" | {other:.1f} | {len(r['errors'])} |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--worlds", default="root,binder,binder-k3s")
    ap.add_argument("--notebooks", default=",".join(NOTEBOOKS))
    ap.add_argument("--json", help="also append every row as a JSON line to this file")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("tutorials.py: run as root (it enters the other worlds from root)", file=sys.stderr)
        return 2
    hub_mirror = None
    if os.environ.get("DOCKER_MAGICS_REGISTRY_MIRRORS") or mirror.hub_reachable():
        hub: dict[str, str] = {}
    else:
        hub_mirror = mirror.start()
        hub = hub_mirror.env()
    env_dir = make_kernel_env()
    rows = []
    try:
        for rnd in range(args.rounds):
            for key in args.notebooks.split(","):
                for world_name in args.worlds.split(","):
                    row = run_one(world_name, NOTEBOOKS[key], hub, env_dir)
                    row["round"] = rnd
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    if args.json:
                        with open(args.json, "a") as fh:
                            fh.write(json.dumps(row) + "\n")
    finally:
        shutil.rmtree(env_dir, ignore_errors=True)
        if hub_mirror is not None:
            hub_mirror.stop()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
