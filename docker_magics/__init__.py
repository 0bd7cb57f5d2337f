"""docker-magics: Docker's build-and-run model inside any Jupyter kernel; no daemon, no root."""

__version__ = "0.1.0"
__all__ = ["__version__"]
