"""Build arguments before the first FROM (global ARGs) and the predefined platform ARGs. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..dockerfile import expand
from ..dockerfile.instructions import Arg

__all__ = ["platform_args", "global_args"]


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
