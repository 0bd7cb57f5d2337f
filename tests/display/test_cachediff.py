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
    assert data.rows[3].details == ["- RUN rm -rf /tmp/x", "+ RUN rm -rf /tmp/y"]


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
