"""Pull of a bootstrapped Debian (~170 MB) from a local docker-registry: ours against skopeo.

    .venv/bin/python benchmarks/pull.py [--runs 3] [--store DIR]

Starts Debian's `docker-registry` on 127.0.0.1 (a config of its own, removed afterwards), pushes
`debian:bookworm` (bootstrapped once with mmdebstrap into --store and kept there), then times, in
the same run and alternating, `docker-magics pull` into a fresh store (download, verify, unpack,
tag) and `skopeo copy docker://... oci:DIR` (download and verify only). Each side runs in its own
process so its peak RSS is its own (`wait4`). Targets (issue 5): no slower than skopeo, peak
memory under 100 MB whatever the layer size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from docker_magics.api import Engine  # noqa: E402

RSS_TARGET_MB = 100
CONFIG = """\
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {data}
http:
  addr: 127.0.0.1:{port}
  secret: docker-magics-bench
"""
# The child does a real `pull`; the time of the last blob's "downloaded" event splits it into
# download+verify (what skopeo copy does) and unpack+tag (what skopeo copy does not do).
OURS = """
import sys, time
from docker_magics.api import Engine
t0 = time.monotonic()
last = [t0]
def progress(p):
    if p.action in ("downloaded", "exists"):
        last[0] = time.monotonic()
Engine(sys.argv[1]).pull(sys.argv[2], progress=progress)
print(last[0] - t0, time.monotonic() - t0)
"""


def _registry(base: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = os.path.join(base, "config.yml")
    with open(cfg, "w") as fh:
        fh.write(CONFIG.format(data=os.path.join(base, "data"), port=port))
    proc = subprocess.Popen(["docker-registry", "serve", cfg], stderr=subprocess.DEVNULL)
    host = f"127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1).close()
            return proc, host
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("docker-registry did not start")


def _timed(argv: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one child process."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: this child's own peak RSS
        elapsed = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{argv[0]} failed: {err.read().decode()[-1500:]}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()  # ru_maxrss: KiB


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    cache = os.path.join(os.path.expanduser("~"), ".cache", "docker-magics-bench-pull")
    ap.add_argument("--store", default=cache, help="where the bootstrapped Debian is kept")
    args = ap.parse_args()
    for tool in ("docker-registry", "skopeo", "mmdebstrap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (scripts/install-system-packages installs it)")
    eng = Engine(args.store)
    if not any("debian:bookworm" in r for i in eng.images() for r in i.refs):
        print("bootstrapping debian:bookworm (mmdebstrap, about a minute, once)")
        eng.bootstrap("debian:bookworm")
    image = eng.image("debian:bookworm")
    work = tempfile.mkdtemp(prefix="dm-bench-pull-")
    proc, host = _registry(work)
    try:
        name = f"{host}/bench/debian:bookworm"
        eng.push("debian:bookworm", name)
        ours: list[tuple[float, float, str]] = []
        theirs: list[tuple[float, float, str]] = []
        for i in range(args.runs):
            store = os.path.join(work, f"store-{i}")
            ours.append(_timed([sys.executable, "-c", OURS, store, name]))
            oci = os.path.join(work, f"oci-{i}")
            skopeo = ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false"]
            theirs.append(_timed([*skopeo, f"docker://{name}", f"oci:{oci}:bookworm"]))
            shutil.rmtree(store, ignore_errors=True)
            shutil.rmtree(oci, ignore_errors=True)
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    t_ours = statistics.median(t for t, _, _ in ours)
    t_down = statistics.median(float(o.split()[0]) for _, _, o in ours)
    t_theirs = statistics.median(t for t, _, _ in theirs)
    rss = max(m for _, m, _ in ours)
    print(f"image: {image.size / 1e6:.0f} MB in {len(image.layers)} layer(s), {args.runs} runs")
    print(f"{'':34}{'median s':>10}{'peak RSS MB':>14}")
    print(f"{'docker-magics pull (whole)':34}{t_ours:>10.2f}{rss:>14.0f}")
    print(f"{'  of which download + verify':34}{t_down:>10.2f}")
    print(f"{'  of which unpack + tag':34}{t_ours - t_down:>10.2f}")
    rss_theirs = max(m for _, m, _ in theirs)
    print(f"{'skopeo copy -> oci: (no unpack)':34}{t_theirs:>10.2f}{rss_theirs:>14.0f}")
    print(f"download speed-up (skopeo / ours): {t_theirs / t_down:.2f} (target >= 1)")
    print(f"peak RSS target < {RSS_TARGET_MB} MB: {'met' if rss < RSS_TARGET_MB else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
