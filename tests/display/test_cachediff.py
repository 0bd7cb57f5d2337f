"""Two build records side by side: reused steps, the first miss and its cascade."""

from __future__ import annotations

from docker_magics.display.cachediff import CacheDiff, diff_builds


def step(index, line, text, cached, reason=None):
    s = {"stage": "0", "index": index, "line": line, "instruction": text, "cached": cached}
    if reason:
        s["reason"] = reason
    return s


OLD = {
    "id": "b1",
    "steps": [
        step(0, 1, "FROM node", False),
        step(1, 2, "COPY . /src", False),
        step(2, 3, "RUN npm install", False),
        step(3, 4, "RUN rm -rf /tmp/x", False),
    ],
}
FILES = {
    "kind": "changed",
    "summary": "context files changed: src/app.js (content)",
    "changes": [
        {
            "field": "files",
            "added": ["new.txt"],
            "removed": [],
            "changed": [{"path": "src/app.js", "attributes": ["content"]}],
        }
    ],
}
PARENT = {
    "kind": "parent changed",
    "summary": "parent step changed (line 2: COPY . /src)",
    "changes": [{"field": "parent", "parent_step": "line 2: COPY . /src"}],
}
NEW = {
    "id": "b2",
    "steps": [
        step(0, 1, "FROM node", True),
        step(1, 2, "COPY . /src", False, FILES),
        step(2, 3, "RUN npm install", False, PARENT),
        step(
            3,
            4,
            "RUN rm -rf /tmp/y",
            False,
            {
                "kind": "changed",
                "summary": "instruction",
                "changes": [
                    {"field": "instruction", "old": "RUN rm -rf /tmp/x", "new": "RUN rm -rf /tmp/y"}
                ],
            },
        ),
        step(4, 5, "CMD node", False, {"kind": "no previous build", "summary": "x"}),
    ],
}


def test_statuses():
    data = diff_builds(OLD, NEW)
    assert [r.status for r in data.rows] == ["reused", "first-miss", "cascade", "miss", "added"]
    first = data.rows[1]
    assert first.reason.startswith("context files changed")
    assert "~ src/app.js (content)" in first.details and "+ new.txt (added)" in first.details
    assert data.rows[3].reason == "instruction changed, was: RUN rm -rf /tmp/x"
    assert data.rows[3].old == "RUN rm -rf /tmp/x"  # the edited line, paired with its old self


def test_removed_steps_are_listed():
    data = diff_builds(NEW, OLD | {"steps": OLD["steps"][:2]})
    assert data.rows[-1].status == "removed"


def test_views():
    view = CacheDiff(diff_builds(OLD, NEW))
    text = view.to_text()
    assert "<- first miss" in text and "(builds on line 2, which was rebuilt)" in text
    assert "1 of 5 steps reused; first miss at line 2" in text
    assert "1 later step rebuilt" in text
    html = view.to_html()
    assert "border-left:4px solid #c62828" in html and "REBUILT" in html
    assert "<del>" in html and "<ins>" in html and "src/app.js" in html


def _text(index, text, cached=False, reason=None, meta=False):
    s = step(index, index + 1, text, cached, reason)
    if meta:
        s["meta"] = True
    return s


def test_reordered_dockerfile_shows_moved_steps_as_moved():
    """15.7: aligned by instruction, not by position: CMD is not "changed into" COPY."""
    old = {
        "id": "b1",
        "steps": [
            _text(0, "FROM node"),
            _text(1, "COPY . /app"),
            _text(2, "RUN npm install"),
            _text(3, "CMD node app.js", meta=True),
        ],
    }
    paths = {
        "kind": "changed",
        "summary": "old summary with ['reprs']",
        "changes": [
            {"field": "instruction", "old": "COPY . /app", "new": "COPY package.json /app/"},
            {"field": "paths", "op": "copy", "old": ["."], "new": ["package.json"]},
            {"field": "files", "added": [], "removed": [".", "index.js"], "changed": []},
        ],
    }
    new = {
        "id": "b2",
        "steps": [
            _text(0, "FROM node", cached=True),
            _text(1, "COPY package.json /app/", reason=paths),
            _text(2, "RUN npm install", reason=PARENT),
            _text(3, "COPY . /app", reason=PARENT),
            _text(4, "CMD node app.js", meta=True),
        ],
    }
    rows = diff_builds(old, new).rows
    assert [(r.old, r.new, r.status) for r in rows] == [
        ("FROM node", "FROM node", "reused"),
        (None, "COPY package.json /app/", "added"),
        ("RUN npm install", "RUN npm install", "cascade"),
        ("COPY . /app", "COPY . /app", "moved"),
        ("CMD node app.js", "CMD node app.js", "config"),
    ]
    assert rows[3].reason.startswith("moved from line 2")
    headline = CacheDiff(diff_builds(old, new)).headline()
    assert "first miss at line 2: a new step" in headline and "1 step moved" in headline
    text = CacheDiff(
        diff_builds(
            old,
            {
                "id": "b3",
                "steps": [new["steps"][0], _text(1, "COPY package.json /app/", reason=paths)],
            },
        )
    ).to_text()
    assert "COPY now takes package.json instead of the whole context (.)" in text
    assert "reprs" not in text and "removed" not in text  # said in words, from the changes
