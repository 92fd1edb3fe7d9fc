"""Where the bundled files are: the dataset, the icon and the .desktop entry.

The repository keeps them in its top-level ``resources/`` folder. A wheel (``pip install .``,
pipx) ships that folder inside the package as the data package ``charnames_gui.resources``
(see ``[tool.setuptools]`` in pyproject.toml), read here with importlib.resources. Run from a
source checkout that is not installed, the package has no such folder: the checkout's own
``resources/`` is used instead.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path

from charnames_gui.core.errors import DatasetError

# US first names of 2013-2015 (Social Security Administration); resources/README.md tells
# how it was made. Not the lecture's names.txt, which has the same line count.
BUNDLED_DATASET = "us_first_names_2013_2015.txt"
DATA_PACKAGE = "charnames_gui.resources"
CHECKOUT_RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def _installed() -> bool:
    """True when charnames_gui.resources is the installed data package (a folder)."""
    try:
        spec = importlib.util.find_spec(DATA_PACKAGE)
    except ImportError:
        return False
    return spec is not None and bool(spec.submodule_search_locations)


def resource_path(name: str) -> Path:
    """A bundled file: inside the installed package, else in the checkout's resources/."""
    if _installed():
        # joinpath on the package's folder gives a pathlib.Path: pip unpacks wheels on disk.
        return Path(str(importlib.resources.files(DATA_PACKAGE).joinpath(name)))
    return CHECKOUT_RESOURCES / name


def bundled_dataset_path() -> Path:
    """The bundled dataset: 32,033 US first names of 2013-2015."""
    path = resource_path(BUNDLED_DATASET)
    if not path.is_file():
        raise DatasetError(
            f"The bundled dataset {path} is missing; reinstall charnames-gui or pass a dataset file"
        )
    return path
