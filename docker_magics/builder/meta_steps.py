"""Metadata instructions: they edit the image config and add a history entry, nothing else.

They are not operations (BuildKit has no vertex for them) and never invalidate a later step,
except through what a later operation reads (ENV/ARG values, USER, WORKDIR, SHELL).
History texts follow BuildKit's ``dispatch*`` functions (Go ``%q``/``%v`` of lists).
"""

from __future__ import annotations

from collections.abc import Callable

from ..dockerfile import expand, expand_words
from ..dockerfile import instructions as ins
from ..dockerfile._gostr import go_duration, go_quote_list
from .state import StageState
from .step import StepBuilder

__all__ = ["META_HANDLERS"]

Handler = Callable[["StepBuilder", StageState, ins.Instruction], "str | None"]


def _set_env(state: StageState, name: str, value: str) -> None:
    """A variable already set keeps its place in ``Env`` (BuildKit's ``addEnv``)."""
    env = state.env_list()
    for i, item in enumerate(env):
        if item.partition("=")[0] == name:
            env[i] = f"{name}={value}"
            break
    else:
        env.append(f"{name}={value}")
    state.cfg["Env"] = env


def _env(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Env)
    scope = state.expansion_env()  # one environment per instruction
    pairs = [(expand(p.key, scope), expand(p.value, scope)) for p in i.pairs]
    for name, value in pairs:
        _set_env(state, name, value)
    return "ENV " + " ".join(f"{k}={v}" for k, v in pairs)


def _arg(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Arg)
    scope = state.expansion_env()
    shown = []
    for d in i.args:
        if d.name in b.opts.build_args:
            value: str | None = b.opts.build_args[d.name]
        elif d.default is not None:
            value = expand(d.default, scope)
        else:
            value = b.meta_args.get(d.name)
        state.args[d.name] = value
        shown.append(f"{d.name}={value}" if value is not None else d.name)
    return "ARG " + " ".join(shown)


def _label(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Label)
    scope = state.expansion_env()
    labels = dict(state.cfg.get("Labels") or {})
    pairs = [(expand(p.key, scope), expand(p.value, scope)) for p in i.pairs]
    labels.update(pairs)
    state.cfg["Labels"] = labels
    return "LABEL " + " ".join(f"{k}={v}" for k, v in pairs)


def _expose(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Expose)
    scope = state.expansion_env()
    ports = []
    # BuildKit sorts the words as written (instructions.parseExpose), then expands them, and
    # writes Go's %v of the list: `EXPOSE [1234/udp 2375/tcp 5000/tcp]`.
    for word in sorted(i.ports):
        for port in expand_words(word, scope):
            ports.append(port if "/" in port else f"{port}/tcp")
    exposed = dict(state.cfg.get("ExposedPorts") or {})
    exposed.update({p: {} for p in ports})
    state.cfg["ExposedPorts"] = exposed
    return f"EXPOSE [{' '.join(ports)}]"


def _user(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.User)
    user = expand(i.user, state.expansion_env())
    state.cfg["User"] = user
    return f"USER {user}"


def _command(state: StageState, i: ins.Cmd | ins.Entrypoint) -> list[str]:
    return list(i.command) if i.exec_form else [*state.shell, i.command[0] if i.command else ""]


def _cmd(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Cmd)
    state.cfg["Cmd"] = _command(state, i)
    state.cfg["ArgsEscaped"] = True
    state.cmd_set = True
    return f"CMD {go_quote_list(state.cfg['Cmd'])}"


def _entrypoint(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Entrypoint)
    state.cfg["Entrypoint"] = _command(state, i)
    if not state.cmd_set:
        state.cfg["Cmd"] = None  # an inherited CMD makes no sense with a new ENTRYPOINT
    return f"ENTRYPOINT {go_quote_list(state.cfg['Entrypoint'])}"


def _volume(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Volume)
    scope = state.expansion_env()
    paths = [w for p in i.paths for w in expand_words(p, scope)] if i.paths else []
    volumes = dict(state.cfg.get("Volumes") or {})
    volumes.update({p: {} for p in paths})
    state.cfg["Volumes"] = volumes
    return f"VOLUME [{' '.join(paths)}]"


def _shell(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Shell)
    state.cfg["Shell"] = list(i.shell)
    return f"SHELL [{' '.join(i.shell)}]"


def _stopsignal(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Stopsignal)
    sig = expand(i.signal, state.expansion_env())
    state.cfg["StopSignal"] = sig
    return f"STOPSIGNAL {sig}"


def _healthcheck(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Healthcheck)
    health: dict[str, object] = {"Test": list(i.test)}
    for field, value in (
        ("Interval", i.interval_ns),
        ("Timeout", i.timeout_ns),
        ("StartPeriod", i.start_period_ns),
        ("StartInterval", i.start_interval_ns),
        ("Retries", i.retries),
    ):
        if value:
            health[field] = value
    state.cfg["Healthcheck"] = health
    # BuildKit writes Go's %+v of the config: every field, durations as Go prints them
    # (dockerfile2llb TestDispatchHealthcheckHistory).
    durations = " ".join(
        f"{name}:{go_duration(value or 0)}"
        for name, value in (
            ("Interval", i.interval_ns),
            ("Timeout", i.timeout_ns),
            ("StartPeriod", i.start_period_ns),
            ("StartInterval", i.start_interval_ns),
        )
    )
    return f"HEALTHCHECK {{Test:[{' '.join(i.test)}] {durations} Retries:{i.retries or 0}}}"


def _onbuild(b: StepBuilder, state: StageState, i: ins.Instruction) -> None:
    assert isinstance(i, ins.Onbuild)
    state.cfg["OnBuild"] = [*(state.cfg.get("OnBuild") or []), i.expression]
    return None  # BuildKit records no history entry for ONBUILD


def _maintainer(b: StepBuilder, state: StageState, i: ins.Instruction) -> str:
    assert isinstance(i, ins.Maintainer)
    state.config["author"] = i.maintainer
    return f"MAINTAINER {i.maintainer}"


META_HANDLERS: dict[type, Handler] = {
    ins.Env: _env,
    ins.Arg: _arg,
    ins.Label: _label,
    ins.Expose: _expose,
    ins.User: _user,
    ins.Cmd: _cmd,
    ins.Entrypoint: _entrypoint,
    ins.Volume: _volume,
    ins.Shell: _shell,
    ins.Stopsignal: _stopsignal,
    ins.Healthcheck: _healthcheck,
    ins.Onbuild: _onbuild,
    ins.Maintainer: _maintainer,
}
