"""`system check` finds damage in every part of a real store, not only in blobs and references.

Each test makes a real store (an imported image, a real build with RUN steps, a saved and loaded
image run once), checks that it is clean, damages one part by hand as a bad disk, a stray tool
or a killed process would, and checks that `system check` names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from docker_magics.api import Engine
from docker_magics.oci.digest import digest_hex
from docker_magics.snapshot.unpack import snapshot_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture()
def built(engine: Engine, base_image: str, tmp_path) -> Engine:
    """A store with a two-RUN build: cache entries, a build record, adopted snapshots."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nRUN echo one > /one\nRUN echo two > /two && rm /etc/group\n"
    )
    engine.build(str(ctx), tags=["app:1"])
    report = engine.check()
    assert report.ok and report.warnings == [], report
    return engine


def _cli_check(store: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docker_magics", "--root", store, "system", "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ROOT},
        timeout=120,
    )


def _snapshot(engine: Engine, ref: str, index: int) -> str:
    return snapshot_path(engine.store, engine.image(ref).diff_ids[index])


def test_a_changed_file_in_an_imported_snapshot(engine, base_image):
    snap = _snapshot(engine, base_image, 0)
    with open(os.path.join(snap, "etc", "group"), "a") as fh:
        fh.write("intruder:x:4242:\n")
    proc = _cli_check(engine.store.root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"problem: snapshot sha256:{os.path.basename(snap)} changed after it was unpacked" in (
        proc.stdout
    )
    assert "PROBLEMS FOUND" in proc.stdout and "Traceback" not in proc.stderr


def test_added_removed_and_chmodded_files_in_a_built_snapshot(built):
    # The RUN steps' upper dirs became these snapshots (adopted, not extracted).
    one, two = _snapshot(built, "app:1", 1), _snapshot(built, "app:1", 2)
    os.unlink(os.path.join(one, "one"))
    os.chmod(os.path.join(two, "two"), 0o777)
    problems = built.check().problems
    assert len(problems) == 2 and all("changed after it was unpacked" in p for p in problems)
    # Removing a damaged snapshot is the cure the message gives: it is unpacked again on use.
    for path in (one, two):
        subprocess.run(["rm", "-rf", path], check=True)
    out: list[bytes] = []
    assert built.run("app:1", ["cat", "/one", "/two"], remove=True, out=out.append) == 0
    assert b"".join(out) == b"one\ntwo\n"
    assert built.check().ok, built.check().problems


def test_a_snapshot_unpacked_on_first_use_after_load(engine, base_image, tmp_path):
    archive = tmp_path / "bb.tar"
    with open(archive, "wb") as fh:
        engine.save([base_image], fh)
    other = Engine(str(tmp_path / "other"))
    other.load(str(archive))
    assert other.run(base_image, ["true"], remove=True) == 0  # unpacks the layer now
    assert other.check().ok
    snap = _snapshot(other, base_image, 0)
    os.symlink("/etc/shadow", os.path.join(snap, "etc", "sneaky"))
    assert any("changed after it was unpacked" in p for p in other.check().problems)


def test_build_cache_entries(built):
    cache = os.path.join(built.store.root, "cache")
    # key-*.json are the entries; key-*.lock the per-key build locks beside them.
    entries = sorted(n for n in os.listdir(cache) if n.startswith("key-") and n.endswith(".json"))
    with_image = []
    for name in entries:
        with open(os.path.join(cache, name)) as fh:
            if json.load(fh).get("image"):
                with_image.append(name)
    first, second = with_image[:2]
    # An entry filed under another key's name would hand one step's layer to another.
    with open(os.path.join(cache, second)) as fh:
        text = fh.read()
    with open(os.path.join(cache, first), "w") as fh:
        fh.write(text)
    garbage = next(n for n in entries if n not in (first, second))
    with open(os.path.join(cache, garbage), "w") as fh:
        fh.write("{not json")
    problems = built.check().problems
    assert f"build cache entry cache/{first} holds the entry of another key; remove it" in problems
    assert any(p.startswith(f"build cache entry cache/{garbage} is not") for p in problems)


def test_a_cache_entry_naming_a_missing_blob(built):
    cache = os.path.join(built.store.root, "cache")
    tagged = built.image("app:1").manifest_digest
    for name in os.listdir(cache):
        if name.startswith("key-") and name.endswith(".json"):
            with open(os.path.join(cache, name)) as fh:
                entry = json.load(fh)
            if entry.get("image") and entry["image"] != tagged:
                break  # the first RUN's state: an untagged manifest only the cache keeps
    os.unlink(os.path.join(built.store.root, "blobs", "sha256", digest_hex(entry["image"])))
    problems = built.check().problems
    assert problems == [
        f"build cache entry cache/{name} names blob {entry['image']}, which is missing"
    ]


def test_build_records(built):
    builds = os.path.join(built.store.root, "builds")
    (record,) = [n for n in os.listdir(builds) if n.endswith(".json")]
    (pointer,) = os.listdir(os.path.join(builds, "latest"))
    with open(os.path.join(builds, record), "r+") as fh:
        fh.truncate(10)
    os.rename(os.path.join(builds, record), os.path.join(builds, "20990101T000000-beef.json"))
    problems = built.check().problems
    assert "build record builds/20990101T000000-beef.json is unreadable or not JSON" in problems
    missing = record.removesuffix(".json")
    assert f"builds/latest/{pointer} names build record {missing}, which is missing" in problems


def test_tmp_leftovers_of_a_dead_process_are_reported_until_prune(engine, base_image):
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = os.path.join(engine.store.tmp_dir, f"unpack-{dead.pid}-k1lled0")
    os.makedirs(os.path.join(left, "usr"))
    live = engine.store.tmp_path("copy")  # this process's: work in progress, not a leftover
    report = engine.check()
    assert report.ok  # debris, not damage: nothing a reader trusts is wrong
    assert report.warnings == [
        f"tmp/unpack-{dead.pid}-k1lled0 was left by process {dead.pid}, which has ended; "
        "`system prune` removes it"
    ]
    os.rmdir(live)
    engine.prune()
    assert engine.check().warnings == []
