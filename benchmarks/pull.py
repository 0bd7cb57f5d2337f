"""Pull of a bootstrapped Debian (~170 MB) from a local docker-registry: ours against skopeo.

    .venv/bin/python benchmarks/pull.py [--runs 3] [--store DIR]

Starts Debian's `docker-registry` on 127.0.0.1 (a config of its own, removed afterwards), pushes
`debian:bookworm` (bootstrapped once with mmdebstrap into --store and kept there; the push
gzips its one layer: 170 MB become 60 MB on the wire), then times whole processes, as a user
waits for them, in interleaved rounds after one warm-up round:

- `docker-magics pull NAME` (the CLI, `python -m docker_magics`) into a fresh store: resolve,
  download every blob verified against its digest, tag. Layers are unpacked on first use;
- `skopeo copy docker://NAME oci:DIR`: download and verify, no unpack either.

Also shown, not compared: the first `run --rm NAME true` after our pull, which unpacks the layer
(and checks its diff_id) before the container starts. Peak RSS comes from one extra untimed run of
each under GNU time (see timing.peak_rss). Targets (issue 5): the whole pull no slower than
skopeo's, peak memory under 100 MB whatever the layer size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, REPO)

from timing import Race, cli_env, peak_rss, run_cmd  # noqa: E402

from docker_magics.api import Engine  # noqa: E402
from tests.registry_server import RegistryNotStarted, start_registry  # noqa: E402

RSS_TARGET_MB = 100


def _registry(base: str) -> tuple[subprocess.Popen, str]:
    try:
        reg = start_registry(base, level="error")
    except RegistryNotStarted as exc:
        raise SystemExit(str(exc))
    return reg.proc, reg.host


def pulled_layer(store: str, name: str) -> tuple[str, int]:
    """The path and size of the (one) layer blob of `name` as pulled into `store`."""
    (layer,) = Engine(store).image(name).layers
    hexa = str(layer["digest"]).split(":", 1)[1]
    return os.path.join(store, "blobs", "sha256", hexa), int(layer["size"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="timed rounds (default 3)")
    cache = os.path.join(os.path.expanduser("~"), ".cache", "docker-magics-bench-pull")
    ap.add_argument("--store", default=cache, help="where the bootstrapped Debian is kept")
    args = ap.parse_args()
    for tool in ("docker-registry", "skopeo", "mmdebstrap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (scripts/install-system-packages installs it)")
    if not os.path.exists("/usr/bin/time"):
        raise SystemExit("needs GNU time for peak RSS (apt-get install time)")
    eng = Engine(args.store)
    if not any("debian:bookworm" in r for i in eng.images() for r in i.refs):
        print("bootstrapping debian:bookworm (mmdebstrap, about a minute, once)")
        eng.bootstrap("debian:bookworm", variant="minbase")  # the 170 MB minbase, as measured
    image = eng.image("debian:bookworm")
    work = tempfile.mkdtemp(prefix="dm-bench-pull-")
    env = cli_env(os.path.join(work, "pycache"))
    proc, host = _registry(work)
    store = os.path.join(work, "store")
    oci = os.path.join(work, "oci")
    cli = [sys.executable, "-m", "docker_magics", "--root", store]
    name = f"{host}/bench/debian:bookworm"
    ours_argv = [*cli, "pull", name]
    skopeo = ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false"]
    theirs_argv = [*skopeo, f"docker://{name}", f"oci:{oci}:bookworm"]

    def fresh(_: int = 0) -> None:
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(oci, ignore_errors=True)

    try:
        wire = eng.push("debian:bookworm", name)
        race = Race(args.runs)
        ours = race.add("ours", lambda: run_cmd(ours_argv, env=env))
        theirs = race.add("skopeo", lambda: run_cmd(theirs_argv))
        race.go(prepare=fresh)
        first_run: list[float] = []
        untar: list[float] = []
        wire_size = 0
        for i in range(args.runs):  # the deferred unpack: pull (untimed), then the first run
            fresh()
            run_cmd(ours_argv, env=env)
            layer, wire_size = pulled_layer(store, name)
            # For scale, the same gzipped layer through GNU tar (its 8,700 files); the order
            # alternates, as removing a tree slows the file creations that follow it here.
            target = tempfile.mkdtemp(dir=work, prefix="untar-")
            steps = [
                (first_run, [*cli, "run", "--rm", name, "true"], env),
                (untar, ["tar", "-xzf", layer, "-C", target], None),
            ]
            for times, argv, e in steps if i % 2 == 0 else reversed(steps):
                times.append(run_cmd(argv, env=e).seconds)
            shutil.rmtree(target)
        fresh()
        rss_ours = peak_rss(ours_argv, env) / 1024
        rss_theirs = peak_rss(theirs_argv) / 1024
        fresh()
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    t_ours, t_theirs = ours.median, theirs.median
    print(
        f"image: {image.size / 1e6:.0f} MB in {len(image.layers)} layer(s), "
        f"{wire_size / 1e6:.0f} MB gzipped on the wire (manifest {wire.digest[:19]}); "
        f"{args.runs} timed rounds after 1 warm-up, medians"
    )
    print(f"{'':40}{'whole s':>9}{'peak RSS MB':>13}")
    print(f"{'docker-magics pull (CLI, no unpack)':40}{t_ours:>9.2f}{rss_ours:>13.0f}")
    print(f"{'skopeo copy docker:// oci: (no unpack)':40}{t_theirs:>9.2f}{rss_theirs:>13.0f}")
    ratio = t_theirs / t_ours

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"speed-up (skopeo / ours): {ratio:.2f} (target >= 1: {met(ratio >= 1)})")
    print(f"peak RSS target < {RSS_TARGET_MB} MB: {met(rss_ours < RSS_TARGET_MB)}")
    first, floor = statistics.median(first_run), statistics.median(untar)
    print(f"first `run --rm IMAGE true` after the pull (unpacks, checks diff_id): {first:.2f} s")
    print(f"  for scale, `tar -xzf` of the same layer blob: {floor:.2f} s")
    print("runs, ours:   " + " ".join(f"{t:.2f}" for t in ours.times))
    print("runs, skopeo: " + " ".join(f"{t:.2f}" for t in theirs.times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
