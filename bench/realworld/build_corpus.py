"""Build the real-world corpus (outside the repository) from git copies of the repositories in SOURCES.md.

    python bench/realworld/build_corpus.py --git DIR [--out /work/realworld]

DIR holds a git copy of each repository, found as any of `DIR/<owner>+<repo>/repo` (a mirror),
`DIR/<owner>__<repo>`, `DIR/<repo>` (a clone or a bare repository).  For each row of SOURCES.md the
snapshot commit is read from that copy and only `*.tf`, `*.tfvars`, `*.tf.json`, templates,
`.terraform.lock.hcl` and `LICENSE` are written to `OUT/<owner>__<repo>/`, with the paths they have in
the repository, plus `.snapshot-commit`.  Missing copies are listed with the clone command to run.
Nothing is written into this repository.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
KEEP = re.compile(r"(\.tf|\.tfvars|\.tf\.json|\.tftpl|\.tpl)$|(^|/)LICENSE$|(^|/)templates/|"
                  r"(^|/)\.terraform\.lock\.hcl$")
ROW = re.compile(r"^\| \[([\w.-]+)/([\w.-]+)\]\([^)]*\) \| `([0-9a-f]{40})` \|")


def sources() -> list[tuple[str, str, str]]:
    rows = []
    for line in (HERE / "SOURCES.md").read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows.append(m.groups())
    return rows


def git_dir(root: pathlib.Path, owner: str, repo: str) -> pathlib.Path | None:
    for cand in (root / f"{owner}+{repo}" / "repo", root / f"{owner}__{repo}", root / repo):
        for g in (cand / ".git", cand):
            if g.is_dir() and (g / "HEAD").exists():
                return g
    return None


def git(gd: pathlib.Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={gd}", *args], capture_output=True, check=True).stdout


def extract(gd: pathlib.Path, commit: str, out: pathlib.Path) -> int:
    names = git(gd, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
    n = 0
    for name in names:
        if not KEEP.search(name):
            continue
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        # one `git show` per file, not `git archive`: a snapshot may lack large unrelated blobs
        target.write_bytes(git(gd, "show", f"{commit}:{name}"))
        n += 1
    (out / ".snapshot-commit").write_text(commit + "\n")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git", required=True, metavar="DIR", help="where the git copies are")
    ap.add_argument("--out", default=os.environ.get("SPECGUARD_REALWORLD", "/work/realworld"))
    args = ap.parse_args(argv)
    root, out = pathlib.Path(args.git), pathlib.Path(args.out)
    missing = []
    for owner, repo, commit in sources():
        gd = git_dir(root, owner, repo)
        if gd is None:
            missing.append(f"git clone https://github.com/{owner}/{repo} {root / f'{owner}__{repo}'}")
            continue
        n = extract(gd, commit, out / f"{owner}__{repo}")
        print(f"{owner}/{repo} @ {commit[:12]}: {n} files")
    if missing:
        print("missing git copies; run:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
