#!/usr/bin/env python3
"""Set up Siang in ./.venv and run it: ``python3 dev.py demo`` or ``python3 dev.py test``.

Needs only Python 3.11. The first run creates the virtualenv and installs
the pinned dependencies (torch first, pinned to the CPU build: an unpinned
torch would pull a multi-GB CUDA build); later runs reuse it unless
pyproject.toml changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
TORCH = "torch==2.13.0"


def _run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, cwd=ROOT)


def setup() -> None:
    """Create .venv and install Siang with its test extras (skipped when up to date)."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Siang needs Python 3.11 (this is {sys.version.split()[0]})")
    stamp = VENV / ".siang-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not BIN.exists():
        venv.create(VENV, with_pip=True)
    pip = str(BIN / "pip")
    _run(pip, "install", "--quiet", TORCH)
    _run(pip, "install", "--quiet", "-e", ".[test]")
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("demo", "test", "setup"):
        print(__doc__)
        return 2
    setup()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    if command == "setup":
        return 0
    if command == "demo":
        args = [str(BIN / "siang"), "demo", *argv[1:]]
    else:
        args = [str(BIN / "pytest"), *argv[1:]]
    return subprocess.call(args, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
