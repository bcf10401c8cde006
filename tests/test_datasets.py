"""kerasnip.datasets: shipped digits, MNIST from IDX files or mnist.npz, and bad files."""

import gzip
import struct

import numpy as np
import pytest

from kerasnip.datasets import DatasetError, load_digits, load_mnist, read_idx

# --------------------------------------------------------------------- helpers


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Encode an array as IDX by hand: magic 00 00 <type> <ndim>, big-endian dims, data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def tiny_mnist(rng, n_train=6, n_test=4):
    images = rng.integers(0, 256, size=(n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n_train + n_test, dtype=np.uint8)
    return {
        "x_train": images[:n_train], "y_train": labels[:n_train],
        "x_test": images[n_train:], "y_test": labels[n_train:],
    }


CANONICAL = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
DOTTED = {part: name.replace("-idx", ".idx") for part, name in CANONICAL.items()}


def write_idx_folder(folder, arrays, names=CANONICAL, gz=True):
    for part, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / f"{names[part]}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / names[part]).write_bytes(data)


def assert_same_splits(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8


# --------------------------------------------------------------------- digits


def test_load_digits_structure():
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 16 and x_train.min() == 0
    # Stratified: every digit is in the test split in near-equal numbers.
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37


def test_load_digits_split_is_seeded_and_disjoint():
    (a_train, _), _ = load_digits(random_state=3)
    (b_train, _), _ = load_digits(random_state=3)
    (c_train, _), _ = load_digits(random_state=4)
    np.testing.assert_array_equal(a_train, b_train)
    assert not np.array_equal(a_train, c_train)
    (x_train, _), (x_test, _) = load_digits(test_size=0.5)
    assert len(x_train) + len(x_test) == 1797 and abs(len(x_test) - 898) <= 1


# --------------------------------------------------------------------- MNIST


def test_load_real_mnist(mnist_dir):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_dir)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and x_train.max() == 255
    assert set(np.unique(y_test)) == set(range(10))
    # The first test labels of MNIST are well known.
    np.testing.assert_array_equal(y_test[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])


@pytest.mark.parametrize(("names", "gz"), [(CANONICAL, True), (DOTTED, True), (CANONICAL, False)],
                         ids=["canonical-gz", "dotted-gz", "uncompressed"])
def test_load_mnist_idx_naming_conventions(tmp_path, names, gz):
    arrays = tiny_mnist(np.random.default_rng(0))
    write_idx_folder(tmp_path, arrays, names=names, gz=gz)
    assert_same_splits(load_mnist(tmp_path), arrays)


def test_load_mnist_npz_folder_and_file(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(1))
    np.savez(tmp_path / "mnist.npz", **arrays)
    assert_same_splits(load_mnist(tmp_path), arrays)
    assert_same_splits(load_mnist(str(tmp_path / "mnist.npz")), arrays)


def test_read_idx_other_types_and_byte_order(tmp_path):
    values = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    (tmp_path / "f.idx").write_bytes(idx_bytes(values, type_code=0x0D))
    out = read_idx(tmp_path / "f.idx")
    np.testing.assert_array_equal(out, values)
    assert out.dtype == np.float32 and out.dtype.isnative


# --------------------------------------------------------------------- errors


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_missing_files_lists_what_was_looked_for(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(2))
    del arrays["y_test"]
    write_idx_folder(tmp_path, arrays)
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "t10k-labels-idx1-ubyte[.gz] or t10k-labels.idx1-ubyte[.gz]" in message
    assert "train-images" not in message.split("The folder holds")[0]
    assert "mnist.npz" in message and "train-images-idx3-ubyte.gz" in message


def test_corrupt_magic_number(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(3))
    write_idx_folder(tmp_path, arrays)
    bad = b"<html>not found</html>"
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(bad))
    with pytest.raises(DatasetError, match=r"not an IDX file: its magic number is 3c 68 74 6d"):
        load_mnist(tmp_path)


def test_unknown_type_code(tmp_path):
    (tmp_path / "x.idx").write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))
    with pytest.raises(DatasetError, match="not an IDX file"):
        read_idx(tmp_path / "x.idx")


def test_truncated_data(tmp_path):
    data = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))[:-10]
    (tmp_path / "x.idx.gz").write_bytes(gzip.compress(data))
    with pytest.raises(DatasetError, match=r"declares shape \(3, 28, 28\)"):
        read_idx(tmp_path / "x.idx.gz")


def test_truncated_gzip_and_not_gzip(tmp_path):
    compressed = gzip.compress(idx_bytes(np.zeros((5,), dtype=np.uint8)))
    (tmp_path / "cut.gz").write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DatasetError, match="not a complete gzip file"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "plain.gz").write_bytes(idx_bytes(np.zeros((5,), dtype=np.uint8)))
    with pytest.raises(DatasetError, match="not a complete gzip file"):
        read_idx(tmp_path / "plain.gz")


def test_swapped_image_and_label_files(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(4))
    names = {**CANONICAL, "x_test": CANONICAL["y_test"], "y_test": CANONICAL["x_test"]}
    write_idx_folder(tmp_path, arrays, names=names)
    with pytest.raises(DatasetError, match="swapped"):
        load_mnist(tmp_path)


def test_mismatched_counts(tmp_path):
    arrays = tiny_mnist(np.random.default_rng(5))
    arrays["y_train"] = arrays["y_train"][:-1]
    write_idx_folder(tmp_path, arrays)
    with pytest.raises(DatasetError, match="6 images but 5 labels"):
        load_mnist(tmp_path)


def test_bad_npz(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match=r"not a readable \.npz"):
        load_mnist(tmp_path)
    np.savez(tmp_path / "other.npz", x_train=np.zeros(2), y_train=np.zeros(2))
    with pytest.raises(DatasetError, match=r"lacks the arrays \['x_test', 'y_test'\]"):
        load_mnist(tmp_path / "other.npz")


def test_one_idx_file_as_path_points_to_its_folder(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b")
    with pytest.raises(DatasetError, match=r"single file that is not an \.npz\. Pass the folder"):
        load_mnist(tmp_path / "train-images-idx3-ubyte.gz")


def test_no_path_without_network_says_what_to_do(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/...")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(RuntimeError, match=r"pass load_mnist\(path\) a folder"):
        load_mnist()
