"""OCI distribution protocol client: authentication, pull and push (over `requests`).

Modules: `transport` (the one network seam), `auth` (the 401 ladder), `credentials` (Docker's
config.json), `config` (endpoints, mirrors, insecure hosts), `client` (requests to one endpoint),
`pull`, `push`, `sources` (hints that save work), `progress` (events).
"""

from __future__ import annotations

from .client import MANIFEST_ACCEPT, Manifest, RegistryClient
from .config import Endpoint, RegistryConfig, load_config
from .progress import Progress, ProgressFn
from .pull import PullResult, pull_image, select_platform
from .push import PushResult, push_image
from .transport import RequestsTransport, Response, Transport

__all__ = [
    "MANIFEST_ACCEPT",
    "Manifest",
    "RegistryClient",
    "Endpoint",
    "RegistryConfig",
    "load_config",
    "Progress",
    "ProgressFn",
    "PullResult",
    "pull_image",
    "select_platform",
    "PushResult",
    "push_image",
    "RequestsTransport",
    "Response",
    "Transport",
]
