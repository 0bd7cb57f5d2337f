"""The part of the Compose Specification (compose-spec/compose-spec, schema/compose-spec.json)
that docker-magics reads, as a JSON Schema; written from the specification's text.

Keys the specification defines but that mean nothing without a daemon (``deploy``, resource
limits, capabilities...) are listed in ``IGNORED_SERVICE_KEYS``: accepted with a warning naming
the file and line. Any other key is refused with its file and line, as Docker Compose does.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SCHEMA", "IGNORED_SERVICE_KEYS", "IGNORED_TOP_KEYS"]

IGNORED_SERVICE_KEYS = (
    "deploy logging cap_add cap_drop privileged stdin_open tty init stop_signal "
    "stop_grace_period ulimits mem_limit memswap_limit mem_reservation cpus cpu_shares cpuset "
    "security_opt shm_size sysctls devices dns dns_search platform pull_policy domainname ipc "
    "pid secrets configs volumes_from links external_links extends labels oom_score_adj "
    "read_only userns_mode cgroup_parent isolation scale"
).split()
IGNORED_TOP_KEYS = ("secrets", "configs", "include")

_STR_OR_LIST: dict[str, Any] = {
    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_LIST_OR_MAP: dict[str, Any] = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": _SCALAR},
    ]
}
_DURATION = {"type": ["string", "number"]}

_SERVICE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "image": {"type": "string"},
        "build": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {
                        "context": {"type": "string"},
                        "dockerfile": {"type": "string"},
                        "args": _LIST_OR_MAP,
                        "target": {"type": "string"},
                        "labels": _LIST_OR_MAP,
                    },
                    "additionalProperties": False,
                    "patternProperties": {"^x-": {}},
                },
            ]
        },
        "command": _STR_OR_LIST,
        "entrypoint": _STR_OR_LIST,
        "environment": _LIST_OR_MAP,
        "env_file": _STR_OR_LIST,
        "ports": {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": ["string", "number"]},
                    {
                        "type": "object",
                        "properties": {
                            "target": {"type": ["integer", "string"]},
                            "published": {"type": ["integer", "string"]},
                            "host_ip": {"type": "string"},
                            "protocol": {"type": "string"},
                            "mode": {"type": "string"},
                            "name": {"type": "string"},
                        },
                        "required": ["target"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "expose": {"type": "array", "items": {"type": ["string", "number"]}},
        "depends_on": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "condition": {
                                "enum": [
                                    "service_started",
                                    "service_healthy",
                                    "service_completed_successfully",
                                ]
                            },
                            "restart": {"type": "boolean"},
                            "required": {"type": "boolean"},
                        },
                        "additionalProperties": False,
                    },
                },
            ]
        },
        "healthcheck": {
            "type": "object",
            "properties": {
                "test": _STR_OR_LIST,
                "interval": _DURATION,
                "timeout": _DURATION,
                "retries": {"type": "number"},
                "start_period": _DURATION,
                "start_interval": _DURATION,
                "disable": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        "volumes": {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"enum": ["volume", "bind", "tmpfs"]},
                            "source": {"type": "string"},
                            "target": {"type": "string"},
                            "read_only": {"type": "boolean"},
                            "volume": {"type": "object"},
                            "bind": {"type": "object"},
                            "tmpfs": {"type": "object"},
                            "consistency": {"type": "string"},
                        },
                        "required": ["target"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "tmpfs": _STR_OR_LIST,
        "working_dir": {"type": "string"},
        "user": {"type": ["string", "integer"]},
        "restart": {"type": "string"},
        "networks": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {
                    "type": "object",
                    "additionalProperties": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "properties": {
                                    "aliases": {"type": "array", "items": {"type": "string"}}
                                },
                            },
                        ]
                    },
                },
            ]
        },
        "profiles": {"type": "array", "items": {"type": "string"}},
        "container_name": {"type": "string"},
        "hostname": {"type": "string"},
        "extra_hosts": _LIST_OR_MAP,
        **{key: {} for key in IGNORED_SERVICE_KEYS},
    },
    "patternProperties": {"^x-": {}},
    "additionalProperties": False,
}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "version": {"type": ["string", "number"]},
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "services": {
            "type": "object",
            "patternProperties": {"^[a-zA-Z0-9._-]+$": _SERVICE},
            "additionalProperties": False,
        },
        "volumes": {"type": ["object", "null"]},
        "networks": {"type": ["object", "null"]},
        **{key: {} for key in IGNORED_TOP_KEYS},
    },
    "patternProperties": {"^x-": {}},
    "required": ["services"],
    "additionalProperties": False,
}
