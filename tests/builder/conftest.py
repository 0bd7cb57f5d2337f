from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture()
def ctx(tmp_path):
    """A build context directory; ``ctx.write(path, text)`` adds files."""

    class Ctx:
        root = str(tmp_path / "ctx")

        def write(self, rel: str, text: str | bytes, mode: int | None = None) -> str:
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(text.encode() if isinstance(text, str) else text)
            if mode is not None:
                os.chmod(path, mode)
            return path

        def dockerfile(self, text: str) -> str:
            return self.write("Dockerfile", text)

    os.makedirs(Ctx.root)
    return Ctx()


def steps_by_instruction(result) -> dict[str, dict]:
    return {s["instruction"]: s for s in result.steps}


@pytest.fixture(params=["default", pytest.param("proot", marks=pytest.mark.proot)])
def runtime(request, monkeypatch) -> str:
    """Run the test with the probed backend, then again with PRoot (Binder's fallback)."""
    if request.param == "proot":
        if shutil.which("proot") is None:
            pytest.skip("proot is not installed (apt-get install proot)")
        monkeypatch.setenv("DOCKER_MAGICS_RUNTIME", "proot")
    return request.param
