"""The state of one stage while it is being built: an image config, its layers, its chain key."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..oci.image import empty_config
from ..store.images import Image
from ..store.store import Store

__all__ = ["StageState", "DEFAULT_SHELL"]

DEFAULT_SHELL = ["/bin/sh", "-c"]


@dataclass
class StageState:
    name: str  # the stage's name, or its index as text
    config: dict[str, Any]  # the whole image config (rootfs, history, config, ...)
    layers: list[dict[str, Any]]  # manifest layer descriptors, parallel to rootfs.diff_ids
    chain: str  # the cache key of the last operation (FROM's key at first)
    base_ref: str = ""
    args: dict[str, str | None] = field(default_factory=dict)  # ARGs declared in this stage
    cmd_set: bool = False  # CMD given in this stage (ENTRYPOINT then keeps it)
    _image: Image | None = None

    @classmethod
    def from_image(cls, name: str, image: Image | None, chain: str, ref: str) -> StageState:
        if image is None:
            # FROM scratch: BuildKit's emptyImage, with the default PATH and WorkingDir "/".
            config = empty_config()
            config["config"] = {**config.get("config", {}), "WorkingDir": "/"}
            layers: list[dict[str, Any]] = []
        else:
            config = copy.deepcopy(image.config)
            layers = copy.deepcopy(image.layers)
        config.setdefault("config", {})
        config.setdefault("history", [])
        config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
        return cls(name, config, layers, chain, ref, _image=image)

    @property
    def cfg(self) -> dict[str, Any]:
        """The container config part (Env, Cmd, WorkingDir, ...)."""
        return self.config["config"]

    def env_list(self) -> list[str]:
        return list(self.cfg.get("Env") or [])

    def env_map(self) -> dict[str, str]:
        return dict(item.partition("=")[::2] for item in self.env_list())

    def expansion_env(self) -> dict[str, str]:
        """What ``$VAR`` sees in an instruction: ARG values, overridden by ENV of the same name."""
        out = {k: v for k, v in self.args.items() if v is not None}
        out.update(self.env_map())
        return out

    @property
    def shell(self) -> list[str]:
        return list(self.cfg.get("Shell") or DEFAULT_SHELL)

    @property
    def workdir(self) -> str:
        return self.cfg.get("WorkingDir") or "/"

    @property
    def user(self) -> str:
        return self.cfg.get("User") or ""

    def touch(self) -> None:
        """The config changed: the materialised image (if any) is stale."""
        self._image = None

    def add(
        self, history: dict[str, Any], layer: dict[str, Any] | None, diff_id: str | None
    ) -> None:
        self.config["history"].append(history)
        if layer is not None and diff_id is not None:
            self.layers.append(layer)
            self.config["rootfs"]["diff_ids"].append(diff_id)
        self.config["created"] = history["created"]
        self._image = None

    def image(self, store: Store) -> Image:
        """The current state as an (untagged) image in the store; written at most once."""
        if self._image is None:
            self._image = store.images.create(copy.deepcopy(self.config), list(self.layers))
        return self._image
