"""`docker-magics tutorial lab [DIR]`: what `scripts/lab` starts once it has installed everything.

JupyterLab on DIR (default `examples`) for teaching: every base image the notebooks name made
ready in the store (pulled, or stand-ins made here where Docker Hub is out of reach), the magics
loaded in every kernel (an IPython profile of the lab's own), the URL printed, then the process
becomes `jupyter lab`. The browser test starts the lab through this same function, so what it
checks is what a teacher gets.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import sys
from typing import Any

from ..errors import UsageError

__all__ = ["do_lab", "lab_command", "lab_url"]

# The profile every kernel of the lab starts with: the magics need no %load_ext.
PROFILE = 'c.InteractiveShellApp.extensions = ["docker_magics"]\n'


def _ipython_dir() -> str:
    """A profile dir of the lab's own, in its venv: the user's ~/.ipython is left alone."""
    path = os.path.join(sys.prefix, "share", "docker-magics-ipython")
    config = os.path.join(path, "profile_default", "ipython_kernel_config.py")
    os.makedirs(os.path.dirname(config), exist_ok=True)
    try:
        with open(config, encoding="utf-8") as fh:
            if fh.read() == PROFILE:
                return path
    except FileNotFoundError:
        pass
    with open(config, "w", encoding="utf-8") as fh:
        fh.write(PROFILE)
    return path


def lab_command(folder: str, ip: str, port: int, token: str, extra: list[str]) -> list[str]:
    exe = shutil.which("jupyter-lab", path=os.path.dirname(sys.executable)) or shutil.which(
        "jupyter-lab"
    )
    if exe is None:
        raise UsageError("the lab needs JupyterLab: pip install -e '.[lab]' (scripts/lab does)")
    argv = [
        exe,
        "--no-browser",
        f"--ip={ip}",
        f"--port={port}",
        "--ServerApp.port_retries=0",  # the printed URL must be the one it listens on
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={os.path.abspath(folder)}",
        # Kernels on Unix sockets in Jupyter's runtime dir: on TCP without encryption every
        # kernel warns, in the teacher's terminal, that anyone could listen in.
        "--KernelManager.transport=ipc",
    ]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    return argv + extra


def lab_url(ip: str, port: int, notebook: str, token: str, extra: list[str]) -> str:
    """The URL to print: the notebook under the server's base URL, if one was given."""
    base = "/"
    for arg in extra:
        for option in ("--ServerApp.base_url=", "--base-url="):
            if arg.startswith(option):
                base = "/" + arg[len(option) :].strip("/") + "/"
    return f"http://{ip}:{port}{base.replace('//', '/')}lab/tree/{notebook}?token={token}"


def do_lab(eng: Any, args: Any, out: Any, bases: Any) -> int:
    """The bases made ready (`bases(eng, args, out)`), then JupyterLab in this process's place."""
    folder = args.path
    notebooks = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*.ipynb")))
    if not notebooks:
        raise UsageError(f"{folder}: no notebook (.ipynb) to open")
    token = secrets.token_hex(16)
    argv = lab_command(folder, args.ip, args.port, token, args.jupyter_arg or [])
    # Kernels inherit these: a `FROM node:20` of the teacher's own works offline too, and says so.
    os.environ["DOCKER_MAGICS_STAND_INS"] = "1"
    os.environ["DOCKER_MAGICS_ROOT"] = eng.store.root
    os.environ["IPYTHONDIR"] = _ipython_dir()
    out.line("Getting the base images the tutorials start from (pulled, or stand-ins made here)")
    if bases(eng, args, out):
        out.line("Some base images are not ready: the cells that start from them will say why.")
    out.line()
    url = lab_url(args.ip, args.port, notebooks[0], token, args.jupyter_arg or [])
    out.line(f"JupyterLab: open {url}")
    out.line("(Ctrl-C here stops it.)")
    sys.stdout.flush()
    os.execv(argv[0], argv)
    return 0  # not reached: the process is JupyterLab now
