"""Build arguments before the first FROM (global ARGs) and the predefined platform ARGs. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..dockerfile import expand
from ..dockerfile.instructions import Arg

__all__ = ["platform_args", "global_args", "foreign_platform"]


def platform_args(platform: Mapping[str, str]) -> dict[str, str]:
    """BUILDPLATFORM, TARGETOS, ... as BuildKit predefines them (we build for the host only)."""
    text = f"{platform['os']}/{platform['architecture']}" + (
        f"/{platform['variant']}" if platform.get("variant") else ""
    )
    out = {}
    for prefix in ("BUILD", "TARGET"):
        out[f"{prefix}PLATFORM"] = text
        out[f"{prefix}OS"] = platform["os"]
        out[f"{prefix}ARCH"] = platform["architecture"]
        out[f"{prefix}VARIANT"] = platform.get("variant", "")
    return out


def global_args(
    meta_args: Sequence[Arg],
    build_args: Mapping[str, str],
    predefined: Mapping[str, str],
    escape: str = "\\",
) -> dict[str, str | None]:
    """Values of the ARGs before the first FROM: ``--build-arg`` wins over the default."""
    values: dict[str, str | None] = dict(predefined)
    for arg in meta_args:
        scope = {k: v for k, v in values.items() if v is not None}
        for d in arg.args:
            if d.name in build_args:
                values[d.name] = build_args[d.name]
            elif d.default is not None:
                values[d.name] = expand(d.default, scope, escape)
            else:
                values.setdefault(d.name, None)
    return values


# Go's platforms.Normalize spellings of the same architecture.
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "armhf": "arm"}


def foreign_platform(
    spec: str | None, scope: Mapping[str, str | None], host: str, escape: str = "\\"
) -> str | None:
    """``FROM --platform``: an error text if it names another platform than ``host``.

    We run containers natively, with no emulation and no multi-platform pulls, so a stage
    for another platform cannot be built; refusing beats silently building the host's.
    ``$BUILDPLATFORM``/``$TARGETPLATFORM`` (the usual values) expand to the host's.
    """
    if spec is None:
        return None
    text = expand(spec, {k: v for k, v in scope.items() if v is not None}, escape)
    if not text:
        return None  # an empty value (an unset ARG) means the default, as in BuildKit
    want = [p.lower() for p in text.split("/")]
    have = host.split("/")
    if len(want) == 1 and want[0] != have[0]:
        want = [have[0], want[0]]  # "arm64" alone is an architecture
    want[1:2] = [_ARCH_ALIASES.get(want[1], want[1])] if len(want) > 1 else []
    same = want[:2] == have[:2] or want == have[:1]
    if same and (len(want) < 3 or len(have) < 3 or want[2] == have[2]):
        return None
    return (
        f"--platform={text}: only the host platform ({host}) can be built here "
        "(no emulation); drop the flag or use $BUILDPLATFORM"
    )
