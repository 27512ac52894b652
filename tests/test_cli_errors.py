"""The CLI as an operator meets it (issue 19, item 7).

Every ``siang`` command given bad input (a file of the wrong kind, an
unsupported vote type, a missing setting, a server that does not answer)
answers with one line and a non-zero exit, never a traceback; a command
asks only for the settings it uses; ``--help`` names inputs and outputs.
Each case runs the real ``siang`` in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from siang.cli import main

REPO = Path(__file__).resolve().parents[1]
PABULIB = REPO.parent / "shared" / "data" / "pabulib"
ORDINAL = PABULIB / "Poland_Krakow_2023_Podgorze.pb"
APPROVAL = PABULIB / "Poland_Lodz_2022.pb"
NO_DB = "postgresql://127.0.0.1:1/siang?connect_timeout=3"
NO_REDIS = "redis://127.0.0.1:1/0"
LINE = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}


def _cases(tmp: Path) -> list[tuple[str, list[str], dict[str, str], str]]:
    csv = tmp / "ideas.csv"
    csv.write_text("id,text\n1,ไฟถนนดับ\n", encoding="utf-8")
    text = tmp / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    db = {"DATABASE_URL": NO_DB}
    return [
        # (name, argv, environment, what the one line must say)
        ("tally an ordinal file", ["pb", "tally", str(ORDINAL)], {}, "vote_type 'ordinal'"),
        ("tally a CSV", ["pb", "tally", str(csv)], {}, "META"),
        ("tally a missing file", ["pb", "tally", str(tmp / "none.pb")], {}, "does not exist"),
        ("tally with a bad rule", ["pb", "tally", "--rule", "borda", str(APPROVAL)], {}, "borda"),
        ("import, no database", ["pb", "import", str(ORDINAL)], db, "cannot reach PostgreSQL"),
        ("export from nowhere", ["pb", "export", "1", str(tmp / "o.pb")], db, "cannot reach PostgreSQL"),
        ("cluster a .pb as CSV", ["nlp", "cluster-csv", str(APPROVAL), str(tmp / "o.csv"),
                                  "--embedder", "fake"], {}, "missing column"),
        ("recluster, no database", ["nlp", "recluster"], db, "cannot reach PostgreSQL"),
        ("regroup, no database", ["nlp", "regroup"], db, "cannot reach PostgreSQL"),
        ("upgrade, no database", ["db", "upgrade"], db, "cannot reach PostgreSQL"),
        ("downgrade, no database", ["db", "downgrade"], db, "cannot reach PostgreSQL"),
        ("bad embedder setting", ["db", "upgrade"], {**db, "SIANG_EMBEDDER": "bert"}, "SIANG_EMBEDDER"),
        ("bad number setting", ["db", "upgrade"], {**db, "SIANG_SWEEP_AFTER_S": "soon"},
         "SIANG_SWEEP_AFTER_S"),
        # staff accounts need the database only: no LINE credentials asked for
        ("staff create, no LINE", ["staff", "create", "somchai", "--role", "admin",
                                   "--password-stdin"], db, "cannot reach PostgreSQL"),
        ("staff officer without district", ["staff", "create", "somchai", "--role", "officer",
                                            "--password-stdin"], db, "--district"),
        ("staff community without community", ["staff", "create", "somchai", "--role",
                                               "community", "--password-stdin"], db,
         "--community"),                                  # issue 18 (H-G1)
        ("set-password, no database", ["staff", "set-password", "somchai", "--password-stdin"],
         db, "cannot reach PostgreSQL"),
        ("worker without LINE", ["worker", "--burst"], {**db, "REDIS_URL": NO_REDIS},
         "LINE_CHANNEL_SECRET"),
        ("worker, no database", ["worker", "--burst"], {**LINE, **db, "REDIS_URL": NO_REDIS},
         "cannot reach PostgreSQL"),
        ("web without session key", ["web"], {**LINE, **db, "REDIS_URL": NO_REDIS},
         "SIANG_SECRET_KEY"),
        ("web, no database", ["web"], {**LINE, **db, "REDIS_URL": NO_REDIS,
                                       "SIANG_SECRET_KEY": "k" * 32}, "cannot reach PostgreSQL"),
        ("sweep, no servers", ["sweep"], {**db, "REDIS_URL": NO_REDIS}, "cannot reach"),
        ("rich menu, no LINE", ["line", "richmenu"], {}, "LINE_CHANNEL_SECRET"),
        ("rich menu, LINE unreachable", ["line", "richmenu"],
         {**LINE, "LINE_API_BASE": "http://127.0.0.1:1"}, "cannot reach"),
        ("rich menu, not an image", ["line", "richmenu", "--image", str(tmp / "none.png")], LINE,
         "does not exist"),
        ("unknown bench", ["bench", "nope"], {}, "unknown bench"),
        ("backup, no database", ["backup", str(tmp / "b.dump")], db, "cannot reach PostgreSQL"),
        ("restore a text file", ["restore", "--yes", str(text)], db, "not a pg_dump"),
        ("restore, no database", ["restore", "--yes", str(ORDINAL)], db, "not a pg_dump"),
        ("ledger export, no database", ["ledger", "export", str(tmp / "l.jsonl")], db,
         "cannot reach PostgreSQL"),
        ("up with an unknown process", ["up", "--process", "nope"], {}, "no process nope"),
        ("up with a missing Procfile", ["up", "--procfile", str(tmp / "Procfile")], {},
         "cannot read Procfile"),
        ("services, no database", ["services"], db, "cannot reach PostgreSQL"),
        ("unknown command", ["tallyho"], {}, "No such command"),
        ("demo with a bad number", ["demo", "--ideas", "many"], {}, "many"),
    ]


def _run(argv: list[str], env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("LINE_", "SIANG_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run([sys.executable, "-m", "siang.cli", *argv], cwd=tmp,
                          env={**base, "SIANG_DATA_DIR": str(tmp / "var"), **env},
                          input="a-long-enough-password\n", capture_output=True, text=True,
                          timeout=120)


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path):
    cases = _cases(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda c: _run(c[1], c[2], tmp_path), cases))
    failures = []
    for (name, argv, _env, expected), proc in zip(cases, done):
        said = [line for line in proc.stderr.splitlines()
                if line.strip() and not line.startswith("{")]   # JSON log lines are logs
        ok = (proc.returncode != 0 and "Traceback" not in proc.stderr + proc.stdout
              and len(said) == 1 and said[0].startswith("Error: ") and expected in said[0])
        if not ok:
            failures.append(f"{name} (siang {' '.join(argv)}): exit {proc.returncode}, "
                            f"said {said[:6]!r}")
    assert not failures, "\n".join(failures)


def _leaves(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name), command


@pytest.mark.parametrize("path", [p for p, _ in _leaves(main)], ids=" ".join)
def test_help_names_inputs_and_outputs(path):
    command = dict(_leaves(main))[path]
    ctx = click.Context(command, info_name="siang " + " ".join(path))
    text = command.get_help(ctx)
    arguments = [p.human_readable_name for p in command.params if isinstance(p, click.Argument)]
    for argument in arguments:
        assert argument.upper() in text, f"siang {' '.join(path)} --help does not explain {argument}"
    assert re.search(r"\b(Output|Outputs|prints?|writes?)\b", text, re.I), \
        f"siang {' '.join(path)} --help does not say what it outputs"
