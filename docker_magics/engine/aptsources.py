"""This machine's apt sources, as one-line `deb` entries for mmdebstrap to bootstrap a suite.

A base image made here uses the same mirrors (and signing keys) apt on this machine uses, so it
works wherever `apt-get` does, behind a proxy or an internal Debian mirror included.
"""

from __future__ import annotations

import glob
import os
import re

from ..errors import UsageError

__all__ = ["bootstrap_sources", "host_codename"]

APT_DIR = "/etc/apt"


def _apt_entries(apt_dir: str) -> list[dict[str, list[str]]]:
    """Enabled `deb` entries of the host: one-line `.list` files and deb822 `.sources` files."""
    out: list[dict[str, list[str]]] = []
    lists = [os.path.join(apt_dir, "sources.list")]
    lists += sorted(glob.glob(os.path.join(apt_dir, "sources.list.d", "*.list")))
    for path in lists:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError:
            continue
        for line in lines:
            m = re.match(r"^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
            if m:
                opts = dict(o.split("=", 1) for o in (m.group(1) or "").split() if "=" in o)
                entry = {"URIs": [m.group(2)], "Suites": [m.group(3)]}
                entry["Components"] = m.group(4).split("#")[0].split()
                entry.update({k.lower(): [v] for k, v in opts.items()})
                out.append(entry)
    for path in sorted(glob.glob(os.path.join(apt_dir, "sources.list.d", "*.sources"))):
        try:
            text = open(path, encoding="utf-8").read()
        except OSError:
            continue
        for stanza in re.split(r"\n\s*\n", text):
            fields: dict[str, list[str]] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                key, _, value = line.partition(":")
                fields[key.strip()] = value.split()
            if "deb" in fields.get("Types", []) and fields.get("Enabled", ["yes"]) != ["no"]:
                fields["signed-by"] = fields.pop("Signed-By", [])
                out.append(fields)
    return out


def host_codename() -> str | None:
    try:
        for line in open("/etc/os-release", encoding="utf-8"):
            if line.startswith("VERSION_CODENAME="):
                return line.split("=", 1)[1].strip().strip('"') or None
    except OSError:
        pass
    return None


def bootstrap_sources(suite: str, apt_dir: str = APT_DIR) -> str:
    """One-line sources for `suite` (and its -updates/-security) taken from the host's apt
    configuration; a host on another release lends its Debian entries with the suite swapped."""
    entries = _apt_entries(apt_dir)

    def matching(name: str) -> list[tuple[dict[str, list[str]], str]]:
        return [
            (e, s)
            for e in entries
            for s in e.get("Suites", [])
            if s == name or s.startswith(name + "-") or s.startswith(name + "/")
        ]

    hits = [(e, s) for e, s in matching(suite)]
    host = host_codename()
    if not hits and host:
        hits = [(e, suite + s[len(host) :]) for e, s in matching(host)]
    if not hits:
        raise UsageError(
            f"no apt source for {suite!r} (nor for this host's release) in {apt_dir}; "
            "add one there, then bootstrap again"
        )
    lines = []
    for e, s in hits:
        opts = []
        if e.get("signed-by"):
            opts.append("signed-by=" + e["signed-by"][0])
        if e.get("Architectures") or e.get("arch"):
            opts.append("arch=" + ",".join(e.get("Architectures") or e["arch"]))
        opt = f"[{' '.join(opts)}] " if opts else ""
        comps = " ".join(e.get("Components") or ["main"])
        for uri in e.get("URIs", []):
            lines.append(f"deb {opt}{uri} {s} {comps}")
    return "\n".join(dict.fromkeys(lines)) + "\n"
