"""IPython magics: `%container`, `%%container`, `%%dockerfile`. The only package importing IPython.

Load with ``%load_ext docker_magics`` (or ``c.InteractiveShellApp.extensions = ["docker_magics"]``
in an IPython profile, e.g. from Binder's ``postBuild``). Options: ``%config DockerMagics``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "DockerMagics"]


def load_ipython_extension(ipython: Any) -> None:
    from .core import DockerMagics

    unload_ipython_extension(ipython)  # %reload_ext: never two instances in configurables
    magics = DockerMagics(shell=ipython)
    ipython.register_magics(magics)  # also appends it to shell.configurables: %config works
    _note_backend_once(magics)


_NOTED: list[str] = []


def _note_backend_once(magics: Any) -> None:
    """Where no namespaces work (Binder), say once per kernel what runs containers and its cost,
    so a learner knows why a step is slow before waiting for it."""
    if _NOTED:
        return
    from ..errors import DockerMagicsError

    try:
        cost = magics.engine().backend_cost()
    except DockerMagicsError:  # an unusable store is reported by the first magic that needs it
        return
    _NOTED.append(cost)
    if cost:
        print(f"docker-magics: {cost}. `%container info` shows what was tried and why.")


def unload_ipython_extension(ipython: Any) -> None:
    from .core import DockerMagics

    for table in ipython.magics_manager.magics.values():
        for name, fn in list(table.items()):
            if isinstance(getattr(fn, "__self__", None), DockerMagics):
                del table[name]
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, DockerMagics)]
    ipython.magics_manager.registry.pop("DockerMagics", None)


def __getattr__(name: str) -> Any:
    if name == "DockerMagics":
        from .core import DockerMagics

        return DockerMagics
    raise AttributeError(name)
