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

from .model import ComposeError, Project, at, line_of, read_env_file
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
        where = at(path, mark.line + 1 if mark is not None else None)
        raise ComposeError(f"{where}: YAML error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ComposeError(f"{at(path)}: YAML error: {exc}") from None


def _validate(path: str, data: Any, node: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft7Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    keys = list(err.absolute_path)
    dotted = ".".join(map(str, keys)) or "(top level)"
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties") or {}
        patterns = list(err.schema.get("patternProperties") or {})
        extra = [
            str(k)
            for k in err.instance
            if k not in known and not any(re.search(p, str(k)) for p in patterns)
        ]
        if extra:
            where = at(path, line_of(node, [*keys, extra[0]]))
            raise ComposeError(f"{where}: {dotted}: unsupported key {', '.join(extra)}")
    raise ComposeError(f"{at(path, line_of(node, keys))}: {dotted}: {err.message}")


def load_project(
    path: str,
    *,
    name: str | None = None,
    text: str | None = None,
    environ: dict[str, str] | None = None,
    label: str | None = None,
) -> Project:
    """Read, interpolate, validate and normalize one compose file.

    ``label``: what messages call the file when it is not one (``model.CELL`` for %%compose,
    whose ``text`` is read as if it were ``path``: relative paths start from its directory)."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    shown = label or path
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
    data, node = _parse_yaml(shown, text)
    if not isinstance(data, dict):
        raise ComposeError(f"{at(shown, 1)}: a compose file is a mapping with a services: key")
    data = _walk(data, env, shown)
    _validate(shown, data, node)
    warnings = [
        f"{at(shown, line_of(node, [k]))}: {k}: ignored (not supported here)"
        for k in data
        if k in IGNORED_TOP_KEYS
    ]
    services = {}
    for sname, raw in (data.get("services") or {}).items():
        line = line_of(node, ["services", sname])
        for key in raw or {}:
            if key in IGNORED_SERVICE_KEYS:
                kline = line_of(node, ["services", sname, key])
                warnings.append(f"{at(shown, kline)}: services.{sname}.{key}: ignored (no daemon)")
        services[sname] = normalize_service(sname, raw or {}, line, directory, env, shown)
    project_name = name or data.get("name") or env.get("COMPOSE_PROJECT_NAME") or directory
    project_name = re.sub(r"[^a-z0-9_-]", "", os.path.basename(project_name).lower()) or "default"
    vols, nets = top_level(data)
    project = Project(project_name, shown, directory, services, vols, nets, warnings, data)
    check_dependencies(project, node)
    return project
