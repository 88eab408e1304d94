"""The built wheel works on its own: installed (not editable) and run from another folder.

The wheel is built from a copy of the checkout (a build writes ``build/`` and
``*.egg-info`` next to the sources), installed without dependencies into a fresh venv
that borrows this environment's installed packages through a ``.pth`` file, and run
from an empty folder. That keeps the test to a build and a copy; `.ci/run` also installs
the project with its dependencies resolved from ``pyproject.toml`` alone (the lowest
declared versions) and runs ``impact summary --json`` from outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.config import PROJECT_ROOT, SEED_DATA_DIR
from dashboard.query.totals import Filters, summarize
from dashboard.records.load import load_records
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.slow  # a wheel build with build isolation: ~30 s


def _copy_checkout(target: Path) -> None:
    """The files git tracks (or, without git, the folder minus environments and caches)."""
    listed = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True)
        if shutil.which("git")
        else None
    )
    if listed is not None and listed.returncode == 0:
        for name in filter(None, listed.stdout.decode().split("\0")):
            source = PROJECT_ROOT / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        return
    ignore = shutil.ignore_patterns(".venv*", "__pycache__", "build", "dist", "*.egg-info", "var", ".git")
    shutil.copytree(PROJECT_ROOT, target, ignore=ignore, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the project's wheel installed: its ``bin`` folder."""
    work = tmp_path_factory.mktemp("packaging")
    _copy_checkout(work / "src")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(work / "src")],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:  # build isolation fetches setuptools and XStatic from the package index
        skip_or_fail(f"could not build the wheel: {build.stderr[-2000:]}")
    [wheel] = (work / "dist").glob("impact_dashboard-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # This environment's third-party packages, but not its (editable) copy of the project.
    (Path(purelib) / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def _run(installed: Path, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    env = {**os.environ, "IMPACT_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)


def test_the_installed_command_gives_the_seed_totals_from_any_folder(installed, tmp_path):
    result = _run(installed, [str(installed / "impact"), "summary", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == summarize(load_records(SEED_DATA_DIR).records, Filters())
    assert json.loads(result.stdout)["attacks"] == 5
    # The store was filled with no rejected row: the quotes were found in the bundled article.
    assert (tmp_path / "home" / "impact.sqlite").is_file()
    # The import logs go to the quarantine folder; a rejected row would be a *.rejected.csv beside them.
    assert not list((tmp_path / "home" / "rejected").glob("*.rejected.csv"))


def test_the_installed_package_reads_only_its_own_files(installed, tmp_path):
    probe = (
        "import json, dashboard.config as c, dashboard.map.static_assets as s;"
        "print(json.dumps([c.RESOURCE_ROOT.as_posix(), c.BUNDLED_BOUNDARY_FILE.is_file(),"
        " sorted(p.name for p in c.MAPPINGS_DIR.glob('*.toml')), (s.VENDOR_DIR / 'leaflet' / 'leaflet.js').is_file(),"
        " c.Settings.from_env().cache_dir.as_posix()]))"
    )
    result = _run(installed, [str(installed / "python"), "-c", probe], tmp_path)
    assert result.returncode == 0, result.stderr
    root, boundaries, mappings, leaflet, cache = json.loads(result.stdout)
    assert root.endswith("site-packages/dashboard/bundled") and not root.startswith(PROJECT_ROOT.as_posix())
    assert boundaries and leaflet  # shipped in the wheel, not copied at run time
    assert mappings == sorted(p.name for p in (PROJECT_ROOT / "examples" / "mappings").glob("*.toml"))
    assert cache == (tmp_path / "home" / "cache").as_posix()
