"""Small image data sets for examples, tests and the demo, in ``keras.datasets`` form.

Both loaders return ``(x_train, y_train), (x_test, y_test)`` with images as
``uint8`` arrays of shape ``(n, height, width)`` holding the raw pixel values and
labels as ``uint8`` arrays of shape ``(n,)``, exactly like
``keras.datasets.mnist.load_data()``. Scale and flatten them yourself (the
getting-started walk-through divides by the maximum pixel value,
``DIGITS_MAX_PIXEL`` or ``MNIST_MAX_PIXEL``).

Examples
--------
>>> (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_digits()
>>> x_train.shape, y_train[:5]
((1437, 8, 8), array([3, 9, 1, 3, 1], dtype=uint8))
>>> X = x_train.reshape(len(x_train), -1) / kerasnip.datasets.DIGITS_MAX_PIXEL
>>> X.shape, float(X.max())
((1437, 64), 1.0)
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from kerasnip.errors import DatasetError

Split = tuple[np.ndarray, np.ndarray]

DIGITS_MAX_PIXEL = 16
"""Largest pixel value of scikit-learn's 8x8 digits (4x4 blocks of 0/1 pixels summed)."""

MNIST_MAX_PIXEL = 255
"""Largest pixel value of MNIST's 28x28 grey-level images."""

# The canonical names from Yann LeCun's site come first; several mirrors (and
# this project's shared copy) use a dot before "idx" instead of a dash.
_MNIST_PARTS = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
_NPZ_NAME = "mnist.npz"

# IDX type codes (third byte of the magic number); values are big-endian.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def load_digits(*, test_size: float = 0.2, random_state: int = 0) -> tuple[Split, Split]:
    """scikit-learn's 1,797 8x8 handwritten digits, split like ``keras.datasets``.

    The data ship with scikit-learn, so this never touches the network.

    Parameters
    ----------
    test_size : float, default=0.2
        Fraction of the images held out as the test split (stratified by digit).
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of ndarray
        Images as ``uint8`` of shape ``(n, 8, 8)`` with values 0-16
        (:data:`DIGITS_MAX_PIXEL`), labels as ``uint8`` of shape ``(n,)``.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_test.shape
    ((1437, 8, 8), (360, 8, 8))
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    images = bunch.images.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=random_state, stratify=labels
    )
    return (x_train, y_train), (x_test, y_test)


def load_mnist(path: str | os.PathLike[str] | None = None) -> tuple[Split, Split]:
    """The 70,000 28x28 MNIST digits (60,000 train, 10,000 test).

    Parameters
    ----------
    path : str or path-like, default=None
        A folder holding the four IDX files (``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
        ``t10k-labels-idx1-ubyte.gz``; the ``train-images.idx3-ubyte.gz``
        spelling and uncompressed files are accepted too) or a Keras
        ``mnist.npz``; or the path of an ``.npz`` file itself. The IDX files
        win when a folder holds both. Without a path, Keras downloads MNIST
        (or reuses its copy in ``~/.keras/datasets``).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of ndarray
        Images as ``uint8`` of shape ``(n, 28, 28)`` with values 0-255
        (:data:`MNIST_MAX_PIXEL`), labels as ``uint8`` of shape ``(n,)``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist, or holds neither the four IDX files nor
        ``mnist.npz`` (the message lists every name looked for).
    DatasetError
        ``path`` is a file other than an ``.npz`` (such as one of the IDX
        files), or a file is truncated, not gzip when named ``.gz``, has a wrong IDX magic
        number or shape, or the ``.npz`` lacks the Keras keys.
    RuntimeError
        No ``path`` was given and Keras could not download MNIST.

    Examples
    --------
    A folder of the four IDX files, or Keras's ``mnist.npz`` (here a tiny stand-in):

    >>> rng = np.random.default_rng(0)
    >>> np.savez("mnist.npz",
    ...          x_train=rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
    ...          y_train=np.arange(6, dtype=np.uint8),
    ...          x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
    ...          y_test=np.arange(2, dtype=np.uint8))
    >>> (x_train, y_train), (x_test, y_test) = kerasnip.datasets.load_mnist("mnist.npz")
    >>> x_train.shape, x_test.shape, x_train.dtype
    ((6, 28, 28), (2, 28, 28), dtype('uint8'))
    """
    if path is None:
        return _download_mnist()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"MNIST path {str(path)!r} does not exist. Pass the folder holding the four IDX "
            f"files or {_NPZ_NAME}, or call load_mnist() with no path to download it."
        )
    if path.is_file():
        if path.suffix != ".npz":
            # One of the four IDX files, most likely: np.load's message about
            # pickled data would not say what to pass instead.
            raise DatasetError(
                f"MNIST path {str(path)!r} is a single file that is not an .npz. Pass the "
                f"folder holding the four IDX files (here {str(path.parent)!r}), or a Keras "
                f"{_NPZ_NAME} file."
            )
        return _read_mnist_npz(path)
    found = {part: _find_part(path, names) for part, names in _MNIST_PARTS.items()}
    if all(found.values()):
        return _read_mnist_idx({part: p for part, p in found.items() if p is not None})
    if (path / _NPZ_NAME).is_file():
        return _read_mnist_npz(path / _NPZ_NAME)
    raise FileNotFoundError(_missing_files_message(path, found))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (the format of MNIST and Fashion-MNIST), gzipped or not.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.gz`` is decompressed.

    Returns
    -------
    ndarray
        The array with the dimensions and element type recorded in the header
        (native byte order).

    Raises
    ------
    DatasetError
        The file is not gzip though named ``.gz``, is truncated, or does not
        start with an IDX magic number ``00 00 <type> <ndim>``.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                raw = handle.read()
        else:
            raw = path.read_bytes()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetError(
            f"{path} is not a complete gzip file ({exc}); download it again."
        ) from exc
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        magic = raw[:4].hex(" ") or "empty file"
        raise DatasetError(
            f"{path} is not an IDX file: its magic number is {magic}, expected "
            "00 00 <type> <ndim> with type 08 (uint8) for MNIST. Check the file was not "
            "decompressed twice or replaced by an HTML error page, and download it again."
        )
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DatasetError(f"{path} is truncated inside its IDX header; download it again.")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header_size != expected:
        raise DatasetError(
            f"{path} holds {len(raw) - header_size} bytes of data but its header declares "
            f"shape {shape} ({expected} bytes); the file is truncated or corrupt, download it "
            "again."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_part(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def _missing_files_message(folder: Path, found: dict[str, Path | None]) -> str:
    missing = [
        " or ".join(f"{name}[.gz]" for name in _MNIST_PARTS[part])
        for part, file in found.items()
        if file is None
    ]
    present = sorted(p.name for p in folder.iterdir())
    listing = ", ".join(present[:20]) + (" ..." if len(present) > 20 else "") or "nothing"
    return (
        f"No MNIST in {folder}: missing " + "; ".join(missing) + f", and no {_NPZ_NAME}. "
        f"The folder holds: {listing}. Put the four IDX files (or Keras's {_NPZ_NAME}) there."
    )


def _read_mnist_idx(files: dict[str, Path]) -> tuple[Split, Split]:
    arrays = {part: read_idx(file) for part, file in files.items()}
    for part, ndim in (("x_train", 3), ("y_train", 1), ("x_test", 3), ("y_test", 1)):
        if arrays[part].ndim != ndim:
            raise DatasetError(
                f"{files[part]} holds an array of shape {arrays[part].shape}; expected "
                f"{'(n, height, width) images' if ndim == 3 else '(n,) labels'}. Are the "
                "image and label files swapped?"
            )
    return _checked_splits(arrays, source=str(next(iter(files.values())).parent))


def _read_mnist_npz(path: Path) -> tuple[Split, Split]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DatasetError(f"{path} is not a readable .npz file ({exc}).") from exc
    missing = [key for key in _MNIST_PARTS if key not in arrays]
    if missing:
        raise DatasetError(
            f"{path} lacks the arrays {missing}; a Keras mnist.npz holds x_train, y_train, "
            f"x_test and y_test (it has {sorted(arrays)})."
        )
    return _checked_splits(arrays, source=str(path))


def _checked_splits(arrays: dict[str, np.ndarray], source: str) -> tuple[Split, Split]:
    for split in ("train", "test"):
        n_images, n_labels = len(arrays[f"x_{split}"]), len(arrays[f"y_{split}"])
        if n_images != n_labels:
            raise DatasetError(
                f"MNIST in {source}: the {split} split has {n_images} images but {n_labels} "
                "labels; one of the files belongs to another data set or is damaged."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _download_mnist() -> tuple[Split, Split]:
    import keras

    try:
        return keras.datasets.mnist.load_data()
    # Keras reports a failed download as a bare Exception.
    except Exception as exc:
        raise RuntimeError(
            f"Could not download MNIST through keras.datasets.mnist.load_data() ({exc}). "
            "Without network access, pass load_mnist(path) a folder holding the four IDX "
            f"files or {_NPZ_NAME}."
        ) from exc
