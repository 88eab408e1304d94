"""Build hook: put the repository's bundled data inside the wheel, so ``pip install .`` works anywhere.

The seed records (``data/``), the article their quotes are checked against (``seeds/``) and
the example mappings (``examples/mappings/``) stay at the top of the repository, where a
checkout (and an editable install) reads them. A wheel has no such top level, so this hook
copies them to ``dashboard/bundled/`` in the build tree, together with Leaflet from the
XStatic packages (``dashboard/ui/static/vendor/``, served by Streamlit beside the page
script), and ``dashboard.config.RESOURCE_ROOT`` points there when it exists.
Everything else is in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Top-level folders the installed package needs, and the file patterns it needs from each.
BUNDLED = {"data": ("*.csv", "README.md"), "seeds": ("*.txt",), "examples/mappings": ("*.toml", "README.md")}


class BuildPyWithBundledData(build_py):
    """``build_py`` that also writes ``dashboard/bundled/`` and the vendored Leaflet files."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "dashboard" / "bundled"
        for folder, patterns in BUNDLED.items():
            for pattern in patterns:
                for source in sorted((HERE / folder).glob(pattern)):
                    copy = target / folder / source.name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
        self._vendor_leaflet(Path(self.build_lib) / "dashboard" / "ui" / "static" / "vendor")

    @staticmethod
    def _vendor_leaflet(target: Path) -> None:
        """Leaflet and markercluster from the XStatic packages (build requirements), as ``impact serve`` would."""
        import xstatic.pkg.leaflet as leaflet
        import xstatic.pkg.leaflet_markercluster as markercluster

        for name, module in (("leaflet", leaflet), ("markercluster", markercluster)):
            source = Path(module.BASE_DIR)
            for path in source.rglob("*"):
                if path.is_file() and path.suffix in (".js", ".css", ".png"):
                    copy = target / name / path.relative_to(source)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, copy)


setup(cmdclass={"build_py": BuildPyWithBundledData})
