"""A wheel built from the checkout works when installed elsewhere: it carries the bundled files.

Built once per session (~1-2 s), installed into a fresh venv in a temporary folder, run from a
folder outside the checkout. The venv reuses this environment's installed packages (torch,
PySide6, ...) through a .pth file, so nothing is downloaded; the wheel itself is installed
with --no-deps --no-index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# What the build reads; the rest of the checkout (tests, .git, .venv) stays out of the copy.
BUILD_INPUTS = ("pyproject.toml", "README.md", "charnames_gui", "resources")
GUI_SECONDS = 60.0  # at most this long for the window to be painted (torch loads meanwhile)

pytestmark = pytest.mark.wheel


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    bin: Path
    site_packages: Path
    outside: Path  # a working folder outside the checkout

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["QT_QPA_PLATFORM"] = "offscreen"
        env["HOME"] = env["XDG_CONFIG_HOME"] = str(self.outside)  # no settings of the user's
        return env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            cwd=self.outside,
            env=self.env(),
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, source / name)
    dist = root / "dist"
    # No build isolation: the build uses this environment's setuptools (nothing downloaded).
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--quiet", "--disable-pip-version-check", "-w", str(dist)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("charnames_gui-*.whl")

    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # This environment's packages, after the venv's own: a line in a .pth adds a folder to
    # sys.path without running that folder's .pth files (so no editable install of the
    # checkout comes along).
    (site / "zz_shared_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --ignore-installed: never look at (or uninstall) the charnames-gui of this environment.
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed"]
        + ["--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    outside = root / "elsewhere"
    outside.mkdir()
    return Installed(wheel, env_dir, bin_dir, site, outside)


def test_every_package_of_the_checkout_is_in_the_wheel(installed: Installed) -> None:
    """pyproject.toml lists the packages by hand (the mapped resources/ needs it)."""
    in_checkout = {
        p.parent.relative_to(REPO_ROOT).as_posix()
        for p in (REPO_ROOT / "charnames_gui").rglob("__init__.py")
    }
    missing = sorted(p for p in in_checkout if not (installed.site_packages / p).is_dir())
    assert missing == [], f"add these to [tool.setuptools] packages: {missing}"


def test_the_installed_package_reads_its_own_bundled_files(installed: Installed) -> None:
    probe = (
        "import json, charnames_gui, charnames_gui.bundled as b; "
        "print(json.dumps({'package': charnames_gui.__file__, "
        "'dataset': str(b.bundled_dataset_path()), 'icon': str(b.resource_path('icon.png'))}))"
    )
    result = installed.run(str(installed.bin / "python"), "-c", probe)
    assert result.returncode == 0, result.stderr
    paths = {k: Path(v) for k, v in json.loads(result.stdout).items()}
    for name, path in paths.items():
        assert path.resolve().is_relative_to(installed.site_packages.resolve()), (name, path)
        assert not path.resolve().is_relative_to(REPO_ROOT), (name, path)
    assert paths["icon"].is_file()


def test_charnames_split_runs_from_the_wheel(installed: Installed) -> None:
    result = installed.run(str(installed.bin / "charnames"), "split", "--json")
    assert result.returncode == 0, result.stderr
    split = json.loads(result.stdout)
    assert split["dataset"] == "us_first_names_2013_2015.txt"
    assert split["words"] == 32_033 and split["vocab_size"] == 27


def test_charnames_gui_shows_its_window_from_the_wheel(installed: Installed) -> None:
    """The installed launcher starts offscreen and paints its main window; then it is ended."""
    marker = installed.outside / "startup-marker.txt"
    env = {**installed.env(), "CHARNAMES_STARTUP_MARKER": str(marker)}
    gui = subprocess.Popen(
        [str(installed.bin / "charnames-gui")],
        cwd=installed.outside,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + GUI_SECONDS
        # Polls a file another process writes: no Qt event loop here to wait on.
        while time.monotonic() < deadline and gui.poll() is None:
            if marker.is_file() and "torch" in marker.read_text():
                break
            time.sleep(0.1)
        still_running = gui.poll() is None
    finally:
        gui.terminate()
        try:
            _, stderr = gui.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            gui.kill()
            _, stderr = gui.communicate()
    assert still_running, f"charnames-gui exited early:\n{stderr[-3000:]}"
    labels = [line.split()[0] for line in marker.read_text().splitlines()]
    assert labels == ["main_window", "torch"], stderr[-3000:]  # the window, then the model
    assert "Traceback" not in stderr, stderr[-3000:]
