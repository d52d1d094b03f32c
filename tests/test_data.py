import gzip
import math
import os
import shutil

import numpy as np
import pytest
import torch

from mlpgeo import data
from mlpgeo.data import DataError, augment_digits, high_dim_moons, load_mnist, rotate, two_moons
from mlpgeo.models import seeded


@pytest.fixture(scope="module")
def embedded_folder():
    folder = data.data_dir()
    if not (folder / data.NPM_TARBALL).exists():
        pytest.fail(f"the embedded MNIST is not in {folder}: run `make data` first.")
    return folder


def test_embedded_split_shapes_ranges_and_determinism(embedded_folder, monkeypatch):
    monkeypatch.delenv("MLPGEO_MNIST_DIR", raising=False)
    x, y = load_mnist("train", verbose=False)
    xt, yt = load_mnist("test", verbose=False)
    xa, ya = load_mnist("all", verbose=False)
    assert x.shape == (8000, 784) and xt.shape == (2000, 784) and xa.shape == (10000, 784)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= float(xa.min()) and float(xa.max()) == 1.0
    assert torch.bincount(ya).tolist() == list(data.EMBEDDED_COUNTS)
    # the split is a partition of the 10,000 digits, identical on every call
    assert sorted(torch.cat([y, yt]).tolist()) == sorted(ya.tolist())
    x2, _ = load_mnist("train", verbose=False)
    assert torch.equal(x, x2)
    assert not torch.equal(x[:2000], xt)


def test_loader_says_which_source(embedded_folder, capsys, monkeypatch):
    monkeypatch.delenv("MLPGEO_MNIST_DIR", raising=False)
    load_mnist("test")
    assert "embedded MNIST" in capsys.readouterr().out


def copy_embedded(embedded_folder, tmp_path, monkeypatch):
    shutil.copy(embedded_folder / data.NPM_TARBALL, tmp_path / data.NPM_TARBALL)
    shutil.copy(embedded_folder / data.EMBEDDED_CACHE, tmp_path / data.EMBEDDED_CACHE)
    monkeypatch.setenv("MLPGEO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLPGEO_MNIST_DIR", raising=False)
    return tmp_path / data.EMBEDDED_CACHE


def test_truncated_cache_is_reported_and_rebuilt(embedded_folder, tmp_path, monkeypatch, capsys):
    reference, _ = load_mnist("test", verbose=False)
    cache = copy_embedded(embedded_folder, tmp_path, monkeypatch)
    cache.write_bytes(cache.read_bytes()[:1000])
    x, _ = load_mnist("test", verbose=False)
    assert "rebuilding" in capsys.readouterr().err
    assert torch.equal(x, reference)
    assert data.read_embedded_cache(cache) is not None


def test_altered_cache_fails_its_checksum_and_is_never_used(embedded_folder, tmp_path, monkeypatch, capsys):
    reference, _ = load_mnist("all", verbose=False)
    cache = copy_embedded(embedded_folder, tmp_path, monkeypatch)
    with np.load(cache) as archive:
        images, labels = archive["images"].copy(), archive["labels"]
    images[0, 400] ^= 1
    np.savez_compressed(cache, images=images, labels=labels)
    x, _ = load_mnist("all", verbose=False)
    assert "SHA-256" in capsys.readouterr().err
    assert torch.equal(x, reference)


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPGEO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLPGEO_MNIST_DIR", raising=False)
    with pytest.raises(DataError, match="make data"):
        load_mnist("train")
    with pytest.raises(DataError, match="does not exist"):
        load_mnist("train", source=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as handle:
            handle.write(payload)
    else:
        path.write_bytes(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_reader_on_tiny_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    train_images = rng.integers(0, 256, size=(5, 28, 28))
    test_images = rng.integers(0, 256, size=(3, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte", train_images, compress)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 2, 3, 4]), compress)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", test_images, compress)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([7, 8, 9]), compress)
    x, y = load_mnist("train", source=tmp_path, verbose=False)
    assert x.shape == (5, 784) and y.tolist() == [0, 1, 2, 3, 4]
    assert torch.allclose(x[1], torch.from_numpy(train_images[1].reshape(784) / 255).float())
    xa, ya = load_mnist("all", source=tmp_path, verbose=False)
    assert xa.shape == (8, 784) and ya.tolist() == [0, 1, 2, 3, 4, 7, 8, 9]


def test_idx_files_found_in_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"  # torchvision.datasets.MNIST(root=tmp_path) keeps the files here
    raw.mkdir(parents=True)
    write_idx(raw / "t10k-images-idx3-ubyte", np.full((2, 28, 28), 255), compress=True)
    write_idx(raw / "t10k-labels-idx1-ubyte", np.array([3, 5]), compress=True)
    x, y = load_mnist("test", source=tmp_path, verbose=False)
    assert x.shape == (2, 784) and float(x.min()) == 1.0 and y.tolist() == [3, 5]


def test_keras_mnist_npz_is_read(tmp_path):
    rng = np.random.default_rng(1)
    x_train, x_test = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=np.array([1, 2, 3, 4], np.uint8),
             x_test=x_test, y_test=np.array([9, 8], np.uint8))
    x, y = load_mnist("all", source=tmp_path, verbose=False)
    assert x.shape == (6, 784) and y.tolist() == [1, 2, 3, 4, 9, 8]
    assert torch.equal(x[4], torch.from_numpy(x_test[0].reshape(784) / 255).float())
    np.savez(tmp_path / "mnist.npz", x_train=x_train)
    with pytest.raises(DataError, match="Keras MNIST"):
        load_mnist("train", source=tmp_path, verbose=False)


def test_idx_reader_rejects_corrupt_files(tmp_path):
    good = tmp_path / "good"
    write_idx(good, np.zeros((2, 28, 28)), compress=False)
    truncated = tmp_path / "truncated"
    truncated.write_bytes(good.read_bytes()[:-5])
    with pytest.raises(DataError, match="truncated"):
        data.read_idx(truncated)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04" + good.read_bytes()[4:])
    with pytest.raises(DataError, match="magic"):
        data.read_idx(bad)
    with pytest.raises(DataError, match="train-images"):
        load_mnist("train", source=tmp_path, verbose=False)


def test_two_moons_scaling_labels_and_seed():
    x, y = two_moons(150, noise=0.1, generator=seeded(3))
    assert x.shape == (150, 2) and torch.bincount(y).tolist() == [75, 75]
    assert float(x.abs().max()) == pytest.approx(1.0)
    assert float(x.abs().max()) <= 1.0 + 1e-6
    assert torch.equal(x, two_moons(150, noise=0.1, generator=seeded(3))[0])
    assert not torch.equal(x, two_moons(150, noise=0.1, generator=seeded(4))[0])


def test_noiseless_moons_are_two_half_circles_of_equal_radius():
    x, y = two_moons(200, noise=0.0, generator=seeded(0))
    upper, lower = x[y == 0].double(), x[y == 1].double()
    # both arcs are half circles of the same radius; the centres are one radius apart horizontally
    c_upper = (upper[0] + upper[-1]) / 2
    radius = (upper - c_upper).norm(dim=1)
    assert torch.allclose(radius, radius[0].expand_as(radius), atol=1e-5)
    c_lower = (lower[0] + lower[-1]) / 2
    assert torch.allclose((lower - c_lower).norm(dim=1), radius, atol=1e-5)
    assert float((c_lower - c_upper)[0]) == pytest.approx(float(radius[0]), abs=1e-5)


def test_rotate_is_a_rotation():
    x = torch.tensor([[1.0, 0.0], [0.5, -2.0]])
    r = rotate(x, math.pi / 2)
    assert torch.allclose(r[0], torch.tensor([0.0, 1.0]), atol=1e-7)
    assert torch.allclose(r.norm(dim=1), x.norm(dim=1))
    assert torch.allclose(rotate(r, -math.pi / 2), x, atol=1e-6)
    with pytest.raises(ValueError):
        rotate(torch.zeros(3, 3), 1.0)


def test_high_dim_moons_are_unit_vectors_carrying_the_moons():
    x, y = high_dim_moons(120, noise=0.1, generator=seeded(5), dim=100)
    u, y2 = two_moons(120, noise=0.1, generator=seeded(5))
    assert x.shape == (120, 100) and torch.equal(y, y2)
    assert torch.allclose(x.norm(dim=1), torch.ones(120), atol=1e-5)
    assert torch.allclose(x[:, :2], 0.1 * u, atol=1e-6)


def test_augment_digits_identity_determinism_and_mass():
    x, _ = load_mnist("test", verbose=False)
    x = x[:16]
    same = augment_digits(x, torch.Generator().manual_seed(0), max_shift=0.0, max_degrees=0.0)
    assert torch.allclose(same, x, atol=1e-5)
    a = augment_digits(x, torch.Generator().manual_seed(1))
    b = augment_digits(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.allclose(a, x)
    # small rigid motions keep (almost all of) the ink of a centred digit
    assert torch.allclose(a.sum(1), x.sum(1), rtol=0.1)
    with pytest.raises(ValueError, match="784"):
        augment_digits(torch.zeros(2, 100), torch.Generator())


def test_atomic_write_replaces_whole_files_with_ordinary_permissions(tmp_path):
    target = tmp_path / "sub" / "file.json"
    data.atomic_write_bytes(target, b"first")
    data.atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by a web server, like any new file
    with pytest.raises(TypeError):
        data.atomic_write_bytes(target, object())  # a failing write keeps the old content, leaves no debris
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]
