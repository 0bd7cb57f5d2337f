"""Cache keys and miss explanations are pure: tested without a filesystem."""

from __future__ import annotations

from docker_magics.builder import cachekey, explain


def _run(**over):
    args = dict(
        argv=["/bin/sh", "-c", "make"],
        env=["PATH=/bin", "A=1"],
        user="",
        workdir="/src",
        platform="linux/amd64",
    )
    args.update(over)
    return cachekey.run_key("sha256:" + "1" * 64, **args)


def test_same_step_same_key_and_components_kept():
    a, b = _run(), _run()
    assert a.digest == b.digest and a.digest.startswith("sha256:")
    assert a.components["argv"] == ["/bin/sh", "-c", "make"]
    assert a.components["parent"] == "sha256:" + "1" * 64


def test_each_component_changes_the_key():
    base = _run().digest
    for over in (
        {"argv": ["/bin/sh", "-c", "make all"]},
        {"env": ["PATH=/bin", "A=2"]},
        {"user": "app"},
        {"workdir": "/"},
        {"network": "none"},
        {"mounts": [{"type": "cache", "target": "/c", "id": "/c"}]},
    ):
        assert _run(**over).digest != base, over
    assert (
        cachekey.run_key(
            "sha256:" + "2" * 64, argv=["x"], env=[], user="", workdir="/", platform="p"
        ).digest
        != cachekey.run_key(
            "sha256:" + "1" * 64, argv=["x"], env=[], user="", workdir="/", platform="p"
        ).digest
    )


def test_env_order_and_undeclared_proxies_do_not_matter():
    assert cachekey.key_env(["B=2", "A=1"]) == cachekey.key_env(["A=1", "B=2"])
    assert cachekey.key_env(["A=1", "HTTP_PROXY=http://p:3128"]) == ["A=1"]
    assert cachekey.key_env(["HTTP_PROXY=x"], ["HTTP_PROXY"]) == ["HTTP_PROXY=x"]


def test_cache_mount_contents_never_in_the_key():
    a = _run(mounts=[{"type": "cache", "target": "/c", "contents": "sha256:aa"}])
    b = _run(mounts=[{"type": "cache", "target": "/c", "contents": "sha256:bb"}])
    assert a.digest == b.digest


def _copy(files, **over):
    args = dict(op="copy", source="context", paths=["."], dest="/src/", owner=None, chmod=None)
    args.update(over)
    return cachekey.copy_key("sha256:" + "1" * 64, files=files, **args)


def test_copy_key_covers_names_and_content_not_only_content():
    one = {"a": "file 0644 - sha256:x"}
    renamed = {"b": "file 0644 - sha256:x"}
    assert _copy(one).digest != _copy(renamed).digest  # kaniko#2241
    assert _copy(one).digest != _copy({"a": "file 0755 - sha256:x"}).digest
    assert _copy(one).digest == _copy(dict(one)).digest
    assert _copy(one).notes["files"] == one
    assert _copy(one, owner=(1, 1)).digest != _copy(one).digest


def test_from_key_is_the_digest_not_the_tag():
    a = cachekey.from_key("sha256:" + "a" * 64, "linux/amd64", ref="busybox:1")
    b = cachekey.from_key("sha256:" + "a" * 64, "linux/amd64", ref="busybox:latest")
    assert a.digest == b.digest


def test_explain_env_change():
    old, new = _run(), _run(env=["PATH=/bin", "A=2"])
    prev = {"instruction": "RUN make", "components": old.components, "notes": old.notes}
    reason = explain.explain_miss("RUN make", new.components, new.notes, prev)
    assert reason["changes"] == [{"field": "env", "name": "A", "old": "1", "new": "2"}]
    assert "A changed" in reason["summary"]


def test_explain_files_added_removed_changed_with_attribute():
    old = _copy({"a": "file 0644 - sha256:x", "b": "file 0644 - sha256:y"})
    new = _copy({"a": "file 0755 - sha256:x", "c": "file 0644 - sha256:z"})
    prev = {"instruction": "COPY . /src/", "components": old.components, "notes": old.notes}
    reason = explain.explain_miss("COPY . /src/", new.components, new.notes, prev)
    files = next(c for c in reason["changes"] if c["field"] == "files")
    assert files["added"] == ["c"] and files["removed"] == ["b"]
    assert files["changed"] == [{"path": "a", "attributes": ["mode"]}]


def test_explain_parent_and_instruction_and_no_previous():
    a = _run()
    b = cachekey.run_key(
        "sha256:" + "2" * 64,
        argv=a.components["argv"],
        env=a.components["env"],
        user="",
        workdir="/src",
        platform="linux/amd64",
    )
    prev = {"instruction": "RUN make", "components": a.components, "notes": {}}
    reason = explain.explain_miss(
        "RUN make", b.components, {}, prev, parent_step="line 3: COPY . /"
    )
    assert reason["kind"] == "parent changed"
    assert reason["summary"] == "parent step changed (line 3: COPY . /)"
    c = _run(argv=["/bin/sh", "-c", "make all"])
    reason = explain.explain_miss("RUN make all", c.components, {}, prev)
    assert {ch["field"] for ch in reason["changes"]} == {"instruction", "argv"}
    assert explain.explain_miss("RUN x", {}, {}, None)["kind"] == "no previous build"
