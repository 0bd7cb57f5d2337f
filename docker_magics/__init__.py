"""docker-magics: Docker's build-and-run model inside any Jupyter kernel; no daemon, no root."""

__version__ = "0.1.0"
__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext docker_magics`: registers `%container`, `%%container` and `%%dockerfile`."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    from .magics import unload_ipython_extension as unload

    unload(ipython)
