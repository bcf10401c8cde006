"""The release artefacts: ``python -m build`` makes an sdist and a wheel of the package only.

The build runs on a copy of the checkout (tests, benchmarks and examples included, so
leaving them out of the wheel is tested), isolated unless this interpreter already has
the build back end the project asks for (the isolated build fetches it from PyPI).
The wheel is then installed on its own (``pip --target``, no dependencies) and a tiny
model is fitted with the kerasnip imported from there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

import kerasnip
from tests.helpers import ROOT

build = pytest.importorskip("build", reason="needs the 'build' package (pip install build)")

VERSION = kerasnip.__version__
DIST_INFO = f"kerasnip-{VERSION}.dist-info/"


def _ignore(folder: str, names: list[str]) -> set[str]:
    """What the copy of the checkout leaves out: git, venvs, caches and build outputs."""
    skipped = {n for n in names if n.startswith(".") or n == "__pycache__"
               or n.endswith(".egg-info")}
    if Path(folder) == ROOT:
        skipped |= {"build", "dist", "out"} & set(names)
    return skipped


def _isolation_flags(source: Path) -> list[str]:
    """``--no-isolation`` when this interpreter has the build requirements, else none."""
    builder = build.ProjectBuilder(source)
    unmet = [req for req in builder.build_system_requires if any(build.check_dependency(req))]
    return [] if unmet else ["--no-isolation"]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return Path(shutil.copytree(ROOT, tmp_path_factory.mktemp("checkout") / "kerasnip",
                                ignore=_ignore))


@pytest.fixture(scope="module")
def dists(checkout, tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel (built from the sdist) of the copied checkout."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out),
         *_isolation_flags(checkout), str(checkout)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    found = sorted(p.name for p in out.iterdir())
    assert found == [f"kerasnip-{VERSION}-py3-none-any.whl", f"kerasnip-{VERSION}.tar.gz"]
    return {"wheel": out / found[0], "sdist": out / found[1]}


def test_the_wheel_holds_the_package_only(dists, checkout):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read(DIST_INFO + "entry_points.txt").decode()
        metadata = wheel.read(DIST_INFO + "METADATA").decode()
        typed = wheel.read("kerasnip/py.typed")
    assert [n for n in names if not n.startswith(("kerasnip/", DIST_INFO))] == []
    package = [n for n in names if n.startswith("kerasnip/")]
    # No tests, benchmarks, examples or data files: modules and the typing marker only.
    assert [n for n in package if not n.endswith(".py") and n != "kerasnip/py.typed"] == []
    # Every module of the source tree, subpackages included.
    source = checkout / "src"
    assert sorted(package) == sorted(
        [p.relative_to(source).as_posix() for p in (source / "kerasnip").rglob("*.py")
         if "__pycache__" not in p.parts] + ["kerasnip/py.typed"])
    assert typed == b""
    assert "kerasnip = kerasnip.__main__:main" in entry_points
    assert f"\nVersion: {VERSION}\n" in metadata
    assert "\nProvides-Extra: ray\n" in metadata
    assert "\nRequires-Dist: keras>=3.8\n" in metadata


def test_the_sdist_builds_from_sources_and_keeps_the_marker(dists):
    with tarfile.open(dists["sdist"]) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "src/kerasnip/__init__.py",
            "src/kerasnip/py.typed", "src/kerasnip/tuning/tune_grid.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


FIT_FROM_WHEEL = """
    import importlib.resources
    import sys
    from pathlib import Path

    from sklearn.datasets import load_digits

    import kerasnip

    site = Path(sys.argv[1]).resolve()
    loaded = {name: Path(module.__file__).resolve() for name, module in sys.modules.items()
              if name.split(".")[0] == "kerasnip" and getattr(module, "__file__", None)}
    elsewhere = [f"{n}: {f}" for n, f in loaded.items() if not f.is_relative_to(site)]
    assert loaded and not elsewhere, elsewhere
    assert importlib.resources.files("kerasnip").joinpath("py.typed").is_file()


    def input_block(model, input_shape):
        import keras
        return keras.Sequential([keras.Input(shape=input_shape)])


    def output_block(model, num_classes):
        import keras
        model.add(keras.layers.Dense(num_classes, activation="softmax"))
        return model


    X, y = load_digits(return_X_y=True)
    X, y = (X[:30] / 16.0).astype("float32"), y[:30]
    spec = kerasnip.create_keras_sequential_spec(
        "wheel_clf", {"input": input_block, "output": output_block}, "classification")
    est = spec(fit_epochs=1, fit_batch_size=16, random_state=0).fit(X, y)
    pred = est.predict(X)
    assert pred.shape == (30,) and set(pred) <= set(y), pred
    print("fitted", Path(kerasnip.__file__).relative_to(site).as_posix())
"""


def test_the_installed_wheel_imports_and_fits(dists, tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--quiet", "--target", str(site), str(dists["wheel"])],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (site / "kerasnip" / "py.typed").is_file()
    assert not (site / "tests").exists()
    # Away from the checkout, with the wheel's files first on the path; its
    # dependencies come from this interpreter's site-packages.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(FIT_FROM_WHEEL), str(site)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fitted kerasnip/__init__.py" in done.stdout
