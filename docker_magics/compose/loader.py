"""Reading a compose file: YAML (PyYAML) with line numbers, ``${VAR}`` interpolation from the
environment and ``.env``, validation against ``schema.SCHEMA`` (jsonschema), then plain
``Service`` records with every short and long syntax turned into one form.

Every error names the file and line: YAML errors from PyYAML's marks, schema errors by walking
the composed node tree along the error's path.
"""

from __future__ import annotations

import os
import re
from typing import Any

from .model import ComposeError, Project, line_of, read_env_file
from .normalize import normalize_service, top_level
from .order import check_dependencies
from .schema import IGNORED_SERVICE_KEYS, IGNORED_TOP_KEYS, SCHEMA

__all__ = ["ComposeError", "Project", "load_project"]


_VAR = re.compile(
    r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


def _interpolate(text: str, env: dict[str, str], where: str) -> str:
    def repl(m: re.Match[str]) -> str:
        if m[1]:
            return "$"
        name = m[2] or m[5]
        op, arg = m[3], m[4] or ""
        value = env.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in ("-", ":-"):
            return arg if empty else str(value)
        if op in ("?", ":?"):
            if empty:
                raise ComposeError(f"{where}: required variable {name} is missing: {arg}")
            return str(value)
        if op in ("+", ":+"):
            return "" if empty else arg
        return value or ""

    if "${" in text and not re.search(r"\$\{[^}]*\}", text):
        raise ComposeError(f"{where}: unclosed ${{ in {text!r}")
    return _VAR.sub(repl, text)


def _walk(value: Any, env: dict[str, str], where: str) -> Any:
    if isinstance(value, str):
        return _interpolate(value, env, where)
    if isinstance(value, list):
        return [_walk(v, env, where) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, env, where) for k, v in value.items()}
    return value


def _parse_yaml(path: str, text: str) -> tuple[Any, Any]:
    import yaml

    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise ComposeError(f"{where}: YAML error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ComposeError(f"{path}: YAML error: {exc}") from None


def _validate(path: str, data: Any, node: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    at = list(err.absolute_path)
    dotted = ".".join(map(str, at)) or "(top level)"
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties") or {}
        patterns = list(err.schema.get("patternProperties") or {})
        extra = [
            str(k)
            for k in err.instance
            if k not in known and not any(re.search(p, str(k)) for p in patterns)
        ]
        if extra:
            where = f"{path}:{line_of(node, [*at, extra[0]])}"
            raise ComposeError(f"{where}: {dotted}: unsupported key {', '.join(extra)}")
    if err.validator == "type" and isinstance(err.instance, bool):
        text = getattr(_node_at(node, at), "value", str(err.instance).lower())
        raise ComposeError(
            f"{path}:{line_of(node, at)}: {dotted}: YAML reads {text} as a boolean here; "
            f'write it in quotes: "{text}"'
        )
    raise ComposeError(f"{path}:{line_of(node, at)}: {dotted}: {err.message}")


def _node_at(node: Any, path: list[Any]) -> Any:
    for key in path:
        children = getattr(node, "value", None)
        if not isinstance(children, list):
            return None
        if children and isinstance(children[0], tuple):
            node = next((v for k, v in children if k.value == str(key)), None)
        elif isinstance(key, int) and key < len(children):
            node = children[key]
        else:
            return None
    return node


def _check_value(key: str, value: Any, path: str, node: Any, at: list[Any]) -> None:
    """What the schema cannot say: a restart policy, the ``ports`` and healthcheck durations
    are checked here, where the line is known, and not when a container is being made."""
    from ..engine.healthconfig import seconds
    from ..engine.ports import parse_publish
    from ..engine.restart import parse_policy
    from ..errors import UsageError

    checks: list[tuple[list[Any], Any]] = []
    if key == "restart":
        checks = [([], lambda: parse_policy(value))]
    elif key == "ports":
        checks = [([i], lambda p=p: parse_publish(str(p))) for i, p in enumerate(value)]
        checks = [c for c, p in zip(checks, value) if not isinstance(p, dict)]
    elif key == "healthcheck":
        durations = ("interval", "timeout", "start_period", "start_interval")
        checks = [([k], lambda k=k: seconds(value[k], 0.0)) for k in durations if k in value]
    for sub, check in checks:
        try:
            check()
        except UsageError as exc:
            dotted = ".".join(map(str, at[:2] + [key] + sub))
            raise ComposeError(f"{path}:{line_of(node, at + sub)}: {dotted}: {exc}") from None


def load_project(
    path: str,
    *,
    name: str | None = None,
    text: str | None = None,
    environ: dict[str, str] | None = None,
) -> Project:
    """Read, interpolate, validate and normalize one compose file."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if text is None:
        try:
            with open(path) as fh:
                text = fh.read()
        except FileNotFoundError:
            raise ComposeError(
                f"no compose file {path}: give one with -f FILE, or write docker-compose.yml"
            ) from None
    env = dict(environ if environ is not None else os.environ)
    dot_env = os.path.join(directory, ".env")
    if os.path.exists(dot_env):
        env = {**read_env_file(dot_env), **env}
    data, node = _parse_yaml(path, text)
    if not isinstance(data, dict):
        raise ComposeError(f"{path}:1: a compose file is a mapping with a services: key")
    data = _walk(data, env, path)
    _validate(path, data, node)
    warnings = [
        f"{path}:{line_of(node, [k])}: {k}: ignored (not supported here)"
        for k in data
        if k in IGNORED_TOP_KEYS
    ]
    services = {}
    for sname, raw in (data.get("services") or {}).items():
        line = line_of(node, ["services", sname])
        for key in raw or {}:
            _check_value(key, raw[key], path, node, ["services", sname, key])
            if key in IGNORED_SERVICE_KEYS:
                kline = line_of(node, ["services", sname, key])
                warnings.append(f"{path}:{kline}: services.{sname}.{key}: ignored (no daemon)")
        services[sname] = normalize_service(sname, raw or {}, line, directory, env, path)
    project_name = name or data.get("name") or env.get("COMPOSE_PROJECT_NAME") or directory
    project_name = re.sub(r"[^a-z0-9_-]", "", os.path.basename(project_name).lower()) or "default"
    vols, nets = top_level(data)
    project = Project(project_name, path, directory, services, vols, nets, warnings, data)
    check_dependencies(project, node)
    return project
