"""Execute one tutorial notebook in one world (tests/worlds.py) as that world's user.

Shared by tests/notebooks/test_notebooks.py and benchmarks/tutorials.py. The kernel runs from
this venv's base Python; other users get a world-readable copy of its packages (``env_dir``,
made by ``make_kernel_env``). Each run gets a fresh copy of examples/ in the world's base dir.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import nbformat
from worlds import World

__all__ = ["run_notebook", "make_kernel_env", "EXAMPLES"]

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
PASS_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy")


def run_notebook(
    world: World,
    name: str,
    runtime: str | None,
    env_extra: dict[str, str],
    env_dir: str,
    timeout: float,
):
    """Run examples/NAME.ipynb; returns (the tutorial verb's JSON result, notebook, HTML)."""
    work = os.path.join(world.base, "examples")
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if world.name != "root":
        for dirpath, dirnames, filenames in os.walk(work):
            for n in [*dirnames, *filenames, ""]:
                os.chown(os.path.join(dirpath, n), world.uid, world.uid)
    env = {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:"
        "/usr/bin:/sbin:/bin",
        "PYTHONPATH": world.pkg if world.name == "root" else f"{world.pkg}:{env_dir}/site-packages",
        "HOME": world.home,
        "LANG": "C.UTF-8",
        "DOCKER_MAGICS_ROOT": world.store,
        **{k: os.environ[k] for k in PASS_ENV if k in os.environ},
        **env_extra,
    }
    if world.name != "root":
        env["JUPYTER_PATH"] = os.path.join(env_dir, "jupyter")
    if runtime:
        env["DOCKER_MAGICS_RUNTIME"] = runtime
    src = os.path.join(work, f"{name}.ipynb")
    out = os.path.join(world.base, f"{name}.out.ipynb")
    html = os.path.join(world.base, f"{name}.html")
    for p in (out, html):  # created here, so the world's user can write them
        open(p, "w").close()
        os.chmod(p, 0o666)
    # the venv may be out of another user's reach: the base Python and a copy of its packages
    python = sys.executable if world.name == "root" else os.path.realpath(sys.executable)
    cmd = [python, "-m", "docker_magics", "tutorial", "run", src, "--out", out, "--html", html]
    cmd.append("--json")
    import subprocess

    proc = subprocess.run(
        world.command(cmd, env, world.base),
        capture_output=True,
        text=True,
        env=env,
        cwd=world.base,
        timeout=timeout,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"tutorial run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}"
    result = json.loads(lines[-1])
    return result, nbformat.read(out, as_version=4), open(html, encoding="utf-8").read()


def make_kernel_env() -> str:
    """A world-readable copy (hard links where possible) of this venv's site-packages and of
    execute.py, for kernels run as another user: the checkout (and so .venv) may sit under a
    directory that user cannot enter, such as /root or a 0700 temp dir. The caller removes it."""
    import site
    import tempfile

    base = tempfile.mkdtemp(prefix="dm-nbenv-", dir="/tmp")
    os.chmod(base, 0o755)

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        os.chmod(dst, os.stat(dst).st_mode | 0o444)

    site_packages = [p for p in site.getsitepackages() if p.endswith("site-packages")][0]
    dest = os.path.join(base, "site-packages")
    shutil.copytree(site_packages, dest, symlinks=True, copy_function=link_or_copy)
    # nbconvert's templates and kernel specs live in the venv's share/jupyter (JUPYTER_PATH).
    share = os.path.join(sys.prefix, "share", "jupyter")
    if os.path.isdir(share):
        shutil.copytree(
            share, os.path.join(base, "jupyter"), symlinks=True, copy_function=link_or_copy
        )
    for dirpath, _dirs, _files in os.walk(base):
        os.chmod(dirpath, 0o755)
    return base
