"""Coverage-guided fuzzing with atheris (libFuzzer), for long runs outside CI.

    pip install atheris                       # a wheel exists for CPython 3.11 on x86_64
    python tests/hardening/fuzz_atheris.py TARGET [libFuzzer options]
    # e.g. python tests/hardening/fuzz_atheris.py extract -max_total_time=3600 corpus-extract/

TARGET is one of: dockerfile, expand, reference, extract. The only exceptions allowed are the
package's own (DockerfileError, ImageReferenceError, LayerError); anything else is a crash,
which libFuzzer saves as crash-<hash>. Each crash becomes a regression test (for layers, a
case in test_hostile_layers.py; for text, an example in the hypothesis tests).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from docker_magics.dockerfile import expand, parse, parse_stages
    from docker_magics.errors import DockerfileError, ImageReferenceError, LayerError
    from docker_magics.layer.extract import extract_layer
    from docker_magics.layer.owner import OwnerOps
    from docker_magics.oci.reference import parse_reference


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def fuzz_dockerfile(data: bytes) -> None:
    text = _text(data)
    try:
        parse(text)
        parse_stages(text)
    except DockerfileError:
        pass


def fuzz_expand(data: bytes) -> None:
    try:
        expand(_text(data), {"X": "1", "E": "", "P": "a/b.c"})
    except DockerfileError:
        pass


def fuzz_reference(data: bytes) -> None:
    try:
        ref = parse_reference(_text(data))
    except ImageReferenceError:
        return
    if parse_reference(str(ref)) != ref:
        raise AssertionError(f"{ref} does not round-trip")


def fuzz_extract(data: bytes) -> None:
    base = tempfile.mkdtemp(prefix="dm-atheris-")
    outside, target = os.path.join(base, "outside"), os.path.join(base, "target")
    os.makedirs(outside)
    os.makedirs(target)
    try:
        extract_layer(io.BytesIO(data), target, overlay=True, ops=OwnerOps(rootless=False))
    except LayerError:
        pass
    finally:
        if os.listdir(outside) or sorted(os.listdir(base)) != ["outside", "target"]:
            raise AssertionError("extraction wrote outside its target")
        shutil.rmtree(base, ignore_errors=True)


TARGETS = {
    "dockerfile": fuzz_dockerfile,
    "expand": fuzz_expand,
    "reference": fuzz_reference,
    "extract": fuzz_extract,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: fuzz_atheris.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
