"""Rebuild the labelled real runs (../shared/realruns/<key>/) from their provenance.

benchmarks/real-runs.yaml records, for every run, the public repository, commit and path its log
files were copied from. This script copies them again, byte for byte, with git: from local bare
or working-tree mirrors named ``<owner>+<name>`` (``--mirrors``), or else by cloning each
repository from GitHub (blobs fetched on demand) into ``--cache``. Runs already present are left
as they are.

    python benchmarks/fetch_real_runs.py ../shared/realruns [--mirrors DIR] [--cache DIR]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
LOG_SUFFIXES = {".csv", ".yaml", ".yml", ".json", ".log", ".txt", ".experiment"}


def is_log(name: str) -> bool:
    """Log files, not the checkpoints or profiler traces that share their folders."""
    path = Path(name)
    return path.suffix in LOG_SUFFIXES or "tfevents" in path.name


def git_dir(repo: str, mirrors: Path | None, cache: Path) -> Path:
    """A git directory holding ``repo``: a local mirror if there is one, else a fresh partial clone."""
    name = repo.replace("/", "+")
    layouts = ("repo/.git", "repo", ".git", ".")  # a fetched snapshot, a bare mirror, a clone
    for candidate in ([mirrors / name / layout for layout in layouts] if mirrors else []):
        if (candidate / "HEAD").exists():
            return candidate
    target = cache / f"{name}.git"
    if not target.exists():
        url = f"https://github.com/{repo}.git"
        subprocess.run(["git", "clone", "--bare", "--filter=blob:none", "--quiet", url, str(target)], check=True)
    return target


def copy_run(gitdir: Path, commit: str, path: str, dest: Path) -> int:
    """Copy the log files of the file or folder ``path`` at ``commit`` into ``dest``; how many."""
    git = ["git", f"--git-dir={gitdir}"]
    listing = subprocess.run(git + ["ls-tree", "-r", "--name-only", commit, "--", path], capture_output=True, text=True, check=True)
    files = [name for name in listing.stdout.splitlines() if is_log(name)]
    for name in files:
        relative = Path(name).name if name == path else Path(name).relative_to(path)
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(git + ["show", f"{commit}:{name}"], capture_output=True, check=True).stdout)
    return len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--labels", type=Path, default=HERE / "real-runs.yaml")
    parser.add_argument("--mirrors", type=Path, help="folder of local mirrors named owner+name")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "lossrules-real-runs")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    failed = []
    for key, label in yaml.safe_load(args.labels.read_text()).items():
        dest = args.dest / key
        if dest.exists():
            continue
        try:
            copied = copy_run(git_dir(label["repo"], args.mirrors, args.cache), label["commit"], label["path"].rstrip("/"), dest)
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr or ""
            copied, reason = 0, stderr.strip() or str(error)
        else:
            reason = "no file at that commit and path"
        if not copied:
            shutil.rmtree(dest, ignore_errors=True)
            failed.append(f"{key}: {label['repo']}@{label['commit'][:10]}:{label['path']}: {reason}")
    print("\n".join(failed) or "all runs present", file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
