"""Go filepath.Match, .dockerignore rules, COPY source selection and the content checksum."""

from __future__ import annotations

import os

import pytest

from docker_magics.builder.context import BuildContext, load_ignore
from docker_magics.builder.patterns import go_match, parse_ignore
from docker_magics.errors import DockerfileError


@pytest.mark.parametrize(
    "pattern,name,ok",
    [
        ("*.go", "a.go", True),
        ("*.go", "sub/a.go", False),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("[^a-c]x", "dx", True),
        ("[^a-c]x", "bx", False),
        ("arr[[]0].txt", "arr[0].txt", True),
        ("\\*", "*", True),
        ("\\*", "a", False),
        ("sub/*", "sub/x", True),
    ],
)
def test_go_match(pattern, name, ok):
    assert go_match(pattern, name) is ok


def test_dockerignore_rules():
    rules = parse_ignore("# comment\n/node_modules\n*.log\n!keep.log\n**/*.tmp\nbuild/\n\n")
    assert rules.ignored("node_modules")
    assert rules.ignored("node_modules/x/y.js")  # a matching parent dir
    assert rules.ignored("a.log") and not rules.ignored("keep.log")
    assert not rules.ignored("sub/a.log")  # anchored at the root, unlike .gitignore
    assert rules.ignored("x.tmp") and rules.ignored("a/b/x.tmp")
    assert rules.ignored("build/out")
    last = parse_ignore("!a\na\n")
    assert last.ignored("a")  # the last matching line wins
    reinclude = parse_ignore("docs\n!docs/keep.md\n")
    assert reinclude.ignored("docs/other.md") and not reinclude.ignored("docs/keep.md")


def _ctx(tmp_path, files, ignore=""):
    root = tmp_path / "c"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    root.mkdir(exist_ok=True)
    if ignore:
        (root / ".dockerignore").write_text(ignore)
    return BuildContext(str(root), load_ignore(str(root), None), str(tmp_path / "memo.json"))


WHERE = DockerfileError("x", filename="Dockerfile", line=4, source="COPY x /")


def test_select_wildcards_and_missing_and_escape(tmp_path):
    c = _ctx(
        tmp_path, {"a.txt": "a", "b.txt": "b", "sub/c.txt": "c", "skip.txt": "s"}, "skip.txt\n"
    )
    assert [s.rel for s in c.select("*.txt", WHERE)] == ["a.txt", "b.txt"]
    assert [s.rel for s in c.select("/sub/../a.txt", WHERE)] == ["a.txt"]
    with pytest.raises(DockerfileError) as err:
        c.select("skip.txt", WHERE)  # ignored files are not in the context
    assert err.value.line == 4 and "not found" in str(err.value)
    with pytest.raises(DockerfileError, match="outside the build context"):
        c.select("../etc/passwd", WHERE)


def test_symlink_out_of_the_context_is_refused(tmp_path):
    c = _ctx(tmp_path, {"a": "a"})
    os.symlink("/etc/passwd", os.path.join(c.root, "out"))
    with pytest.raises(DockerfileError, match="outside the build context"):
        c.select("out", WHERE)


def test_checksum_ignores_mtime_and_sees_same_size_same_mtime_edits(tmp_path):
    c = _ctx(tmp_path, {"f": "aaaa"})
    path = os.path.join(c.root, "f")
    first = c.files(c.select("f", WHERE))
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert c.files(c.select("f", WHERE)) == first  # mtime is not in the description
    with open(path, "w") as fh:
        fh.write("bbbb")  # same size...
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # ...and the same mtime
    c.save_memo()
    again = BuildContext(c.root, c.ignore, str(tmp_path / "memo.json"))
    assert again.files(again.select("f", WHERE)) != first
    os.chmod(path, 0o755)
    assert "0755" in again.files(again.select("f", WHERE))["f"]
