"""Every tutorial in examples/ executed top to bottom by nbclient with a real kernel, in each
world of tests/worlds.py: as root (runtime probed: root), as an unprivileged user (userns) and
in a simulated Binder pod (scripts/binder-sim, containerd's RuntimeDefault seccomp: PRoot); lesson
01 also in the k3s AppArmor pod (mounts refused: PRoot). The kernel runs as that world's user,
from this venv's base Python with a world-readable copy of the venv's packages. Each run gets a
fresh store and a copy of examples/; base images come from Docker Hub or, where it is
unreachable, stand-ins made here (conftest.py); the root world always uses stand-ins.

Saved outputs are checked: no error output and no traceback anywhere, the layer graph as SVG,
the cache-diff HTML for rebuilds, and the lesson's facts (01: the last build reuses
`npm install`; the container prints the new message). In a Binder pod also: PRoot was chosen,
the extension said so once with its cost, and the kernel with all it started stayed under
600 MiB of anon+shmem with no OOM kill.

Measured by benchmarks/tutorials.py (same worlds and runner; numbers and the breakdown per phase
in benchmarks/TUTORIALS.md): in a Binder pod 01 takes ~55-75 s, 02 ~75 s, 03 ~6 s, 04 ~90 s,
at a load of 6-11 on 2 cores. The first session on a machine without Docker Hub also
bootstraps node:20 once (~65-150 s).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from worlds import ALLOWED_BACKEND, World, skip_unless_world  # noqa: E402

from .runner import run_notebook  # noqa: E402

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
ARTIFACTS = os.environ.get("DOCKER_MAGICS_ARTIFACTS", "")
NOTEBOOKS = [
    "01-images-and-layers",
    "02-containers-and-commits",
    "03-whats-in-a-layer",
    "04-cache-deep-dive",
    "05-web-apps-and-compose",
]
# (world, runtime): every notebook in each. Budgets are per notebook, about 10x the measured
# times above, so that a slow CI machine passes and a hang does not.
# Root, rootless, and Binder as it is (scripts/binder-sim: RuntimeDefault seccomp, no namespaces,
# 2 GB, 1 CPU). The kinder no-userns world (bwrap) is left out: the Binder pod covers PRoot, and
# CI time goes to it instead. k3s's AppArmor pod (mounts refused) runs lesson 01 only.
MODES = [("root", None), ("unprivileged", None), ("binder", None)]
K3S_NOTEBOOKS = ["01-images-and-layers"]
BUDGET_S = 300
# PRoot has no copy-on-write: every container and every RUN step copies the image's files
# (node:20 here is ~40,000 files, 20-30 s each on this disk), so its budget is larger.
PROOT_BUDGET_S = 1200


def _budget(world_name: str, runtime: str | None) -> int:
    return PROOT_BUDGET_S if runtime == "proot" or world_name in ALLOWED_BACKEND else BUDGET_S


def _texts(nb) -> list[str]:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", ""))
            out.extend(v for v in o.get("data", {}).values() if isinstance(v, str))
            out.extend(o.get("traceback", []))
    return out


def _failures(nb) -> str:
    """Each failed cell's first line and what it showed, for the failure message."""
    out = []
    for cell in nb.cells:
        shown = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if shown:
            texts = [t for o in cell.outputs for t in [o.get("text", "")] if t]
            errors = [line for o in shown for line in o.get("traceback", [])]
            first = cell.source.splitlines()[0] if cell.source else ""
            out.append(f"{first}\n  " + "\n  ".join([*texts[-3:], *errors])[-1500:])
    return "\n".join(out)


def _outputs(nb, source_start: str) -> list:
    return [
        o
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith(source_start)
        for o in c.outputs
    ]


def _check_stand_ins(world: World) -> None:
    """The lesson's facts hold with the stand-ins: node:20 is Node.js 20, node:20-slim much
    smaller, and the build on node:20-slim shares no layer with the builds on node:20."""
    from docker_magics.api import Engine
    from docker_magics.oci.digest import chain_ids

    eng = Engine(world.store)
    node20, slim = eng.image("node:20"), eng.image("node:20-slim")
    for image in (node20, slim):
        labels = image.config["config"]["Labels"]
        assert (
            "made locally by docker-magics as a stand-in for node:20"
            in (labels["org.opencontainers.image.description"])
        )
    assert slim.size <= 0.6 * node20.size, (slim.size, node20.size)
    # A layer is its content on top of its parent (chain ID, a node of the layer graph): the
    # same Node.js files on another Debian are another layer, as on Docker Hub.
    assert not set(chain_ids(node20.diff_ids)) & set(chain_ids(slim.diff_ids))
    assert not set(chain_ids(eng.image("hello-app").diff_ids)) & set(chain_ids(node20.diff_ids))
    out = subprocess.run(
        [sys.executable, "-m", "docker_magics", "run", "--rm", "node:20", "node", "--version"],
        env={**os.environ, "DOCKER_MAGICS_ROOT": world.store},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.startswith("v20."), out.stdout + out.stderr


def _check_lesson(name: str, nb) -> None:
    if name.startswith("01"):
        builds = _outputs(nb, "%%dockerfile -t hello-app")
        summaries = [o for o in builds if o.output_type == "execute_result"]
        assert len(summaries) == 6
        assert "0 cached" not in summaries[1].data["text/plain"].splitlines()[0]
        assert re.search(r"4 steps, 4 cached", summaries[1].data["text/plain"])  # CMD: no step
        assert re.search(r"base image changed", summaries[2].data["text/plain"])
        assert re.search(r"built .*RUN npm install", summaries[3].data["text/plain"])
        assert re.search(r"CACHED .*RUN npm install", summaries[5].data["text/plain"])
        for s in summaries[1:]:
            assert "docker-magics-cachediff" in s.data["text/html"]
        runs = "".join(o.get("text", "") for o in _outputs(nb, "%container run --rm hello-app"))
        assert "Hello from a container!" in runs and "Layers are reused!" in runs
    if name.startswith("02"):
        runs = "".join(o.get("text", "") for o in _outputs(nb, "%container run --rm hello-node"))
        assert "Hello from a committed image!" in runs
    if name.startswith("03"):
        sizes = "".join(o.data.get("text/plain", "") for o in _outputs(nb, "%container layers"))
        assert "wasted 20MB" in sizes and "wasted 0B" in sizes
    if name.startswith("04"):
        html = "".join(
            o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", [])
        )
        assert html.count("docker-magics-cachediff") >= 6
    if name.startswith("05"):
        pages = [
            "".join(o.get("data", {}).get("text/plain", "") for o in c.outputs)
            for c in nb.cells
            if c.cell_type == "code" and c.source.startswith("%container curl")
        ]
        assert "No database at db:6379 yet" in pages[0]  # no `db` before the network
        assert ["seen 1 time (" in p for p in pages[1:]] == [True, False, True, False]
        assert "seen 2 times (" in pages[2] and "seen 2 times (" in pages[4]  # the volume kept it
        links = [o for o in _outputs(nb, "%") if 'href="' in str(o.get("data", {}))]
        assert links  # the published port as a link after run -d -p and compose up


def _check_pod(world: World) -> None:
    """The Binder pod's limits: only the backend it allows, and the kernel with everything it
    started within 600 MiB of anon + shmem (binder-sim samples memory.stat), no OOM kill."""
    allowed = ALLOWED_BACKEND[world.name]
    with open(world.report) as fh:
        runs = [json.loads(line) for line in fh if line.strip()]
    notebook = runs[-1]  # the report is appended after each binder-sim run: this one is last
    assert notebook.get("oom_kills", 0) == 0, notebook
    assert notebook["peak_anon_shmem_mib"] < 600, notebook
    info = world.cli("info").stdout
    assert f"Runtime:     {allowed}\n" in info, f"[{world.name}] probe chose otherwise:\n{info}"


CASES = [(nb, w, r) for w, r in MODES for nb in NOTEBOOKS]
CASES += [(nb, "binder-k3s", None) for nb in K3S_NOTEBOOKS]


@pytest.mark.parametrize(
    "name,world_name,runtime", CASES, ids=[f"{n}-{w}-{r or 'auto'}" for n, w, r in CASES]
)
def test_notebook_runs_clean(name, world_name, runtime, hub_env, stand_in_env, kernel_env_dir):
    skip_unless_world(world_name)
    world = World(world_name)
    env = stand_in_env if world_name == "root" else hub_env
    try:
        result, nb, html = run_notebook(
            world, name, runtime, env, kernel_env_dir, _budget(world_name, runtime)
        )
        mode = f"{world_name}/{runtime or 'auto'}"
        print(f"\n{name} [{mode}]: {result['seconds']} s")
        if ARTIFACTS:
            os.makedirs(ARTIFACTS, exist_ok=True)
            tag = f"{name}.{world_name}.{runtime or 'auto'}"
            nbformat.write(nb, os.path.join(ARTIFACTS, f"{tag}.ipynb"))
            with open(os.path.join(ARTIFACTS, f"{tag}.html"), "w") as fh:
                fh.write(html)
        assert result["errors"] == [], f"cells failed in {mode}: {_failures(nb)}"
        assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not [t for t in _texts(nb) if "Traceback" in t]
        (graph,) = [o for o in _outputs(nb, "%container graph") if "data" in o]
        assert graph.data["image/svg+xml"].lstrip().startswith("<svg")
        assert "<svg" in html
        if any(c.source.startswith("%%dockerfile") for c in nb.cells):
            assert "docker-magics-build-summary" in html
        _check_lesson(name, nb)
        if name.startswith("03"):  # the report shows the layer explorer's static view
            assert 'class="docker-magics-layers"' in html and "wasted 20MB" in html
            assert "widget-state+json" not in html
        if world_name == "root" and name.startswith("01"):
            stand_in_notes = "".join(_texts(nb))
            assert "using a stand-in made here" in stand_in_notes
            _check_stand_ins(world)
        assert result["seconds"] < _budget(world_name, runtime)
        if world_name in ALLOWED_BACKEND:
            _check_pod(world)
            # The extension said once, when it loaded, what runs containers and what it costs.
            notes = [t for t in _texts(nb) if "docker-magics: PRoot" in t]
            assert len(notes) == 1 and "slower" in notes[0], notes
    finally:
        world.close()
