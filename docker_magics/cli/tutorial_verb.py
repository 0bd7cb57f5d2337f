"""`docker-magics tutorial`: what `scripts/tutorial` and `scripts/lab` need, as a verb.

    docker-magics [--stand-ins] tutorial bases [DIR|NOTEBOOK]   the base images they name
    docker-magics tutorial run NOTEBOOK [--out OUT.ipynb] [--html OUT.html] [--json]
    docker-magics tutorial lab [DIR] [--port N] [--ip ADDRESS] [--jupyter-arg=--OPTION ...]

`bases` reads the `FROM` lines and `%container pull` lines of the notebooks and makes each image
available in the store: already there, pulled, or (with --stand-ins) a stand-in made here.
`run` executes one notebook headless with a real kernel, in the notebook's own directory, every
cell even after a failure, and says in words how it went (`--json` for tests). `lab` makes the
bases ready, then starts JupyterLab on DIR for teaching (`cli/lab_verb.py`; `scripts/lab`).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from ..errors import DockerMagicsError, UsageError

__all__ = ["register", "HANDLERS", "execute_notebook", "notebook_images"]

_NAMES = re.compile(r"^\s*(?:FROM\s+|%container\s+pull\s+)([^\s\"'\\]+)", re.M | re.I)


def register(sub: argparse._SubParsersAction, verb: Callable[..., argparse.ArgumentParser]) -> None:
    p = verb(sub, "tutorial", "Run a tutorial notebook headless, or make its base images ready")
    p.add_argument(
        "action",
        choices=["bases", "run", "lab"],
        help="bases: images ready; run: execute; lab: bases, then JupyterLab for teaching",
    )
    p.add_argument(
        "path",
        nargs="?",
        default="examples",
        help="a folder or a notebook (bases), a notebook (run), a folder (lab)",
    )
    p.add_argument("--out", help="run: where to save the executed notebook (default: in place)")
    p.add_argument("--html", help="run: also write an HTML report here")
    p.add_argument("--timeout", type=int, default=900, help="run: seconds per cell (900)")
    p.add_argument("--json", action="store_true", help="run: print the result as JSON")
    p.add_argument("--port", type=int, default=8888, help="lab: the port to listen on (8888)")
    p.add_argument("--ip", default="127.0.0.1", help="lab: the address to listen on (127.0.0.1)")
    p.add_argument(
        "--jupyter-arg",
        action="append",
        metavar="OPTION",
        help="lab: an option for jupyter lab, e.g. --jupyter-arg=--ServerApp.base_url=/x/",
    )


def notebook_images(folder: str) -> list[str]:
    """The images the notebooks in `folder` (or one notebook) start from or pull, in order of
    first mention."""
    import nbformat

    names: list[str] = []
    paths = [folder] if folder.endswith(".ipynb") else glob.glob(os.path.join(folder, "*.ipynb"))
    for path in sorted(paths):
        nb = nbformat.read(path, as_version=4)
        stages: set[str] = set()
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for m in _NAMES.finditer(cell.source):
                name = m.group(1)
                stages.update(re.findall(r"\bAS\s+(\S+)", cell.source, re.I))
                if name.lower() not in stages and "$" not in name and name not in names:
                    names.append(name)
    return [n for n in names if n.lower() != "scratch"]


def execute_notebook(src: str, out: str, html: str | None = None, timeout: int = 900) -> dict:
    """Execute `src` with the `python3` kernel; every cell runs, failures stay in the outputs."""
    try:
        import nbformat
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient
    except ImportError:
        raise UsageError("running a notebook needs the [notebook] extra: pip install '.[notebook]'")
    nb = nbformat.read(src, as_version=4)
    # The kernel talks to us over Unix sockets in a private dir: over TCP without encryption,
    # ipykernel warns on its stderr (our terminal) that anyone could listen in.
    ipc = tempfile.mkdtemp(prefix="docker-magics-kernel-")

    class OnUnixSockets(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport="ipc", ip=os.path.join(ipc, "kernel"), **kwargs)

    # No widget state: a saved widget cannot run without its kernel, and where a notebook holds
    # its state nbconvert draws it (from a CDN) instead of the static view beside it.
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        record_timing=True,
        store_widget_state=False,
        kernel_manager_class=OnUnixSockets,  # made by the client, so it shuts the kernel down
    )
    t0 = time.monotonic()
    try:
        client.execute(cwd=os.path.dirname(os.path.abspath(src)))
    finally:
        shutil.rmtree(ipc, ignore_errors=True)
    seconds = time.monotonic() - t0
    nbformat.write(nb, out)
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        with open(html, "w", encoding="utf-8") as fh:
            fh.write(body)
    errors = [
        c.source.splitlines()[0] if c.source else ""
        for c in nb.cells
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    return {"seconds": round(seconds, 1), "errors": errors}


def _do_run(args: Any, out: Any) -> int:
    if not os.path.isfile(args.path) or not args.path.endswith(".ipynb"):
        raise UsageError(f"{args.path}: not a notebook (.ipynb)")
    result = execute_notebook(args.path, args.out or args.path, args.html, args.timeout)
    if args.json:
        out.line(json.dumps(result))
    else:
        name = os.path.basename(args.path)
        if result["errors"]:
            out.line(
                f"Ran {name} in {result['seconds']:.0f} s; {len(result['errors'])} cells failed:"
            )
            for first_line in result["errors"]:
                out.line(f"  {first_line}")
        else:
            out.line(f"Ran {name} in {result['seconds']:.0f} s: every cell succeeded")
    return 1 if result["errors"] else 0


def _do_bases(eng: Any, args: Any, out: Any) -> int:
    names = notebook_images(args.path)
    if not names:
        raise UsageError(f"no notebook in {args.path} names a base image")
    failed = 0
    said: list[str] = []
    for name in names:
        try:
            eng.image(name)
            out.line(f"{name}: already in the store")
            continue
        except DockerMagicsError:
            pass
        out.line(f"{name}: pulling (a stand-in is made here if no registry has it)")
        try:
            image = eng.pull(name, progress=_Notes(out, said))
        except DockerMagicsError as exc:
            failed += 1
            out.line(f"{name}: {exc}")
            continue
        out.line(f"{name}: ready ({image.size / 1e6:.0f} MB)")
    return 1 if failed else 0


class _Notes:
    """Only the sentences of a pull (where an image came from), not per-blob progress; why no
    registry had an image is said once, the images after it have the same reasons."""

    def __init__(self, out: Any, said: list[str]) -> None:
        self.out = out
        self.said = said

    def __call__(self, event: Any) -> None:
        if event.action != "note":
            return
        message = event.message
        head, sep, why = message.partition(": no registry has it here (")
        if sep:
            if why in self.said:
                message = f"{head}: no registry has it here (as above)"
            self.said.append(why)
        self.out.line(f"  {message}")


def do_tutorial(eng: Any, args: Any, out: Any) -> int:
    if args.action == "run":
        return _do_run(args, out)
    if args.action == "lab":
        from .lab_verb import do_lab

        return do_lab(eng, args, out, _do_bases)
    return _do_bases(eng, args, out)


HANDLERS: dict[str, Callable[[Any, Any, Any], int]] = {"tutorial": do_tutorial}
