"""`harness plugin new NAME` writes a plugin package that installs, is discovered and passes its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from harness.cli import main
from harness.registry import BUILTIN_PLUGINS


def editable_site(project: Path, site: Path) -> Path:
    """What ``pip install -e project`` leaves on disk, built offline from the project's own pyproject.toml:
    the project folder on the path and a dist-info with its name, version and entry points."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    dist = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    groups = meta.get("entry-points", {})
    (dist / "entry_points.txt").write_text(
        "".join(f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for g, eps in groups.items())
    )
    return site


def _run(args: list[str], cwd: Path, pythonpath: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run Python with ``pythonpath`` first; the other installed plugins are blocked (only the new one loads)."""
    others = {ep.name for ep in metadata.entry_points(group="harness")} - set(BUILTIN_PLUGINS)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*map(str, pythonpath), os.environ.get("PYTHONPATH", "")]),
        "HARNESS_DISABLE_PLUGINS": "0",
        "HARNESS_BLOCK_PLUGINS": ",".join(sorted(others)),
    }
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_generated_plugin_installs_and_passes_its_tests(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["plugin", "new", "word_sums", "--dir", str(tmp_path)])
    assert done.value.code == 0
    project = tmp_path / "harness-word-sums"
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == ["README.md", "harness_word_sums/__init__.py", "pyproject.toml", "tests/test_contract.py"]
    site = editable_site(project, tmp_path / "site")
    path = [project, site]

    listed = _run(["-m", "harness", "plugins", "--json"], tmp_path, path)
    assert listed.returncode == 0, listed.stderr
    row = {r["name"]: r for r in json.loads(listed.stdout)}["word_sums"]
    assert row["domains"] == ["word_sums"] and row["origin"] == "entry point (harness-word-sums)"

    # Its own suite, from its own folder, as its author runs it: harness.testing arrives as a pytest plugin.
    tests = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"], project, path)
    summary = tests.stdout.strip().splitlines()[-1]
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "12 passed" in summary and "skipped" not in summary and "error" not in summary, summary

    lint = subprocess.run(["ruff", "check", "."], cwd=project, capture_output=True, text=True)
    fmt = subprocess.run(["ruff", "format", "--check", "."], cwd=project, capture_output=True, text=True)
    assert lint.returncode == 0 and fmt.returncode == 0, lint.stdout + fmt.stdout


@pytest.mark.parametrize("name", ["Word", "2words", "with-dash", "class", ""])
def test_a_bad_name_is_one_line_and_exit_2(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["plugin", "new", name, "--dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert done.value.code == 2 and len(err.splitlines()) == 1 and "lowercase letters" in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "harness-sums" / "pyproject.toml"
    mine.parent.mkdir()
    mine.write_text("# mine\n")
    with pytest.raises(SystemExit) as done:
        main(["plugin", "new", "sums", "--dir", str(tmp_path)])
    assert done.value.code == 2 and "already exists" in capsys.readouterr().err
    assert mine.read_text() == "# mine\n"
