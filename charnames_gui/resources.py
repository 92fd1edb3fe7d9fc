"""Where the bundled files are: the dataset, the icon and the .desktop entry."""

from __future__ import annotations

from pathlib import Path

from charnames_gui.core.errors import DatasetError

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def resource_path(name: str) -> Path:
    return RESOURCES_DIR / name


def bundled_dataset_path() -> Path:
    """resources/names.txt: ~32,000 first names from the US Social Security Administration."""
    path = resource_path("names.txt")
    if not path.is_file():
        raise DatasetError(
            f"The bundled dataset {path} is missing; install charnames-gui from its source "
            "folder (pip install -e .) or pass a dataset file"
        )
    return path
