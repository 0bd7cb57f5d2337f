"""Reference parsing under hypothesis: only ImageReferenceError; normal forms are fixed points."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docker_magics.errors import ImageReferenceError
from docker_magics.oci.reference import parse_reference

ALPHABET = "abcXYZ019._-/:@" + "sha256" + "é \t\n"
component = st.from_regex(r"[a-z0-9]+([._-][a-z0-9]+)*", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_arbitrary_text_only_raises_reference_errors(text):
    try:
        ref = parse_reference(text)
    except ImageReferenceError:
        return
    assert parse_reference(str(ref)) == ref
    assert parse_reference(ref.familiar) == ref


@settings(max_examples=100, deadline=None)
@given(
    st.lists(component, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,20}", fullmatch=True),
)
def test_valid_names_round_trip(parts, tag):
    # A first component with a dot is a registry host to Docker; keep these to plain paths.
    parts = [parts[0].replace(".", "-"), *parts[1:]]
    text = "/".join(parts) + ":" + tag
    ref = parse_reference(text)
    assert ref.tag == tag
    assert parse_reference(str(ref)) == ref


def test_docker_normalisation():
    assert str(parse_reference("ubuntu")) == "docker.io/library/ubuntu:latest"
    assert str(parse_reference("user/app:1")) == "docker.io/user/app:1"
    assert str(parse_reference("localhost:5000/x")) == "localhost:5000/x:latest"
    assert parse_reference("127.0.0.1:5000/a/b:c").registry == "127.0.0.1:5000"
    digest = "sha256:" + "a" * 64
    ref = parse_reference(f"debian@{digest}")
    assert ref.digest == digest and ref.tag is None
    assert parse_reference("index.docker.io/library/debian").familiar == "debian:latest"
