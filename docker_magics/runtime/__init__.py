"""Run one process in a root filesystem: namespaces as root, rootless user namespaces, or PRoot.

``select()`` probes what works (by trying it) and returns a ``Backend``; ``run`` starts the
process and returns its Docker-style exit code, ``exec`` joins a running container.
"""

from __future__ import annotations

from .base import Backend
from .probe import BackendStatus, ProbeReport, probe, select
from .spec import ProcessSpec, RootfsSpec

__all__ = [
    "RootfsSpec",
    "ProcessSpec",
    "Backend",
    "BackendStatus",
    "ProbeReport",
    "probe",
    "select",
]
