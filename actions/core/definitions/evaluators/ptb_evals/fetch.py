"""Fills the evaluation data cache from the pinned sources of sources.json, at build time
(never at run time): every file is downloaded from its repository at a fixed commit or
revision and refused unless its sha256 is the pinned one.
    python -m ptb_evals.fetch --dest DIR [--benchmarks id,id] [--record-unknown]
--record-unknown is for a maintainer with network access, once: files whose sha256 (or
Hugging Face revision) is not pinned yet are fetched, and what was found is written back
into sources.json to be reviewed and committed. Without it such files are refused.
PTB_FETCH_GITHUB_BASE / PTB_FETCH_HF_BASE replace the two hosts (tests, mirrors)."""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from ptb_evals.data import MANIFEST


class FetchError(RuntimeError):
    pass


def _bases() -> tuple[str, str]:
    return (
        os.environ.get("PTB_FETCH_GITHUB_BASE", "https://raw.githubusercontent.com").rstrip("/"),
        os.environ.get("PTB_FETCH_HF_BASE", "https://huggingface.co").rstrip("/"),
    )


def _get(url: str) -> bytes:
    headers = {"user-agent": "ptb-evals-fetch"}
    token = os.environ.get("HF_TOKEN")
    if token and "/datasets/" in url:
        headers["authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as r:
            return r.read()
    except Exception as e:  # noqa: BLE001 - reported with the URL
        raise FetchError(f"cannot download {url}: {e}") from e


def source_url(source: dict) -> str:
    github, hf = _bases()
    if source["kind"] == "github":
        return f"{github}/{source['repo']}/{source['commit']}/{source['path']}"
    if source["kind"] == "huggingface":
        return f"{hf}/datasets/{source['repo']}/resolve/{source['revision']}/{source['path']}"
    raise FetchError(f"unknown source kind {source['kind']!r}")


def _resolve_unknowns(entry: dict) -> None:
    """Pins a Hugging Face revision (the current main) and a file named by pattern."""
    _, hf = _bases()
    src = entry["source"]
    if src["kind"] == "huggingface" and not src.get("revision"):
        src["revision"] = json.loads(_get(f"{hf}/api/datasets/{src['repo']}/revision/main"))["sha"]
    if entry.get("pattern") and not src.get("path"):
        tree = json.loads(_get(f"{hf}/api/datasets/{src['repo']}/tree/{src['revision']}?recursive=true"))
        names = sorted(t["path"] for t in tree if t.get("type") == "file" and fnmatch.fnmatch(t["path"], entry["pattern"]))
        if len(names) != 1:
            raise FetchError(f"{entry['path']}: pattern {entry['pattern']} matches {names}, not exactly one file")
        src["path"] = names[0]
        entry["path"] = f"{src['repo']}/{names[0]}"


def fetch(manifest: dict, dest: Path, benchmarks: set[str] | None, record_unknown: bool) -> list[str]:
    """Fetches the files; returns what it did, one line each. Raises FetchError on the first refusal."""
    done = []
    for entry in manifest["files"]:
        wanted = entry.get("benchmarks", ["*"])
        if benchmarks is not None and "*" not in wanted and not benchmarks & set(wanted):
            continue
        pinned = entry.get("sha256")
        unpinned = not pinned or not entry["source"].get("revision", "x") or (entry.get("pattern") and not entry["source"].get("path"))
        if unpinned and not record_unknown:
            raise FetchError(
                f"{entry['path']}: no pinned sha256 (or revision) in sources.json; a maintainer runs "
                "`python -m ptb_evals.fetch --record-unknown` once with network access and commits the result"
            )
        if unpinned:
            _resolve_unknowns(entry)
        target = dest / entry["path"]
        if pinned and target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == pinned:
            done.append(f"present {entry['path']}")
            continue
        url = source_url(entry["source"])
        body = _get(url)
        digest = hashlib.sha256(body).hexdigest()
        if pinned and digest != pinned:
            raise FetchError(
                f"{entry['path']}: sha256 mismatch for {url}: expected {pinned}, got {digest} "
                "(the source changed or was tampered with; nothing was written)"
            )
        if not pinned:
            entry["sha256"] = digest
            done.append(f"recorded {entry['path']} sha256 {digest}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(body)
        os.replace(tmp.name, target)
        os.chmod(target, 0o444)
        done.append(f"fetched {entry['path']}")
    return done


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m ptb_evals.fetch")
    p.add_argument("--dest", required=True, type=Path)
    p.add_argument("--manifest", type=Path, default=MANIFEST)
    p.add_argument("--benchmarks", default=None, help="comma-separated benchmark ids (default: all)")
    p.add_argument("--record-unknown", action="store_true")
    a = p.parse_args(argv)
    manifest = json.loads(a.manifest.read_text(encoding="utf-8"))
    try:
        for line in fetch(manifest, a.dest, set(a.benchmarks.split(",")) if a.benchmarks else None, a.record_unknown):
            print(line)
    except FetchError as e:
        print(f"fetch refused: {e}", file=sys.stderr)
        return 1
    finally:
        if a.record_unknown:
            a.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
