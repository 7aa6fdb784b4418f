"""``./install.sh`` end to end into a temporary HOME: venv, pip install, minuku install, uninstall.

Slow (a real venv and a pip install from the configured package index, about 15 s). It runs on a
copy of the checkout so that the developer's own ``dist/`` and ``build/`` are left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from minuku.install import launcher_target
from minuku.platforms import ADDON_ID, layout_for

REPO = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "node_modules"
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform not in ("linux", "darwin"), reason="install.sh is for POSIX")
def test_install_sh_into_a_fresh_home(tmp_path: Path) -> None:
    if not (REPO / "host" / "minuku" / "cli.py").is_file():
        pytest.skip("host/minuku/cli.py (the `minuku` entry point) is not written yet")
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo, ignore=IGNORE)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))
    }
    env.update(
        HOME=str(home),
        PYTHON=sys.executable,
        LANG="C.UTF-8",
        PIP_CACHE_DIR=str(tmp_path / "pip-cache"),
    )
    done = subprocess.run(
        ["bash", str(repo / "install.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]

    layout = layout_for(sys.platform, home, {})
    assert layout.venv_python.is_file()
    for manifest in layout.manifests:
        data = json.loads(manifest.read_text("utf-8"))
        assert data["path"] == str(layout.launcher)
        assert data["allowed_extensions"] == [ADDON_ID]
    target = launcher_target(sys.platform, layout.launcher.read_text("utf-8"))
    assert target is not None and target.parent == layout.venv_python.parent
    if (repo / "extension" / "manifest.json").is_file():
        assert (repo / "dist" / "minuku.xpi").is_file()
        assert "Install Add-on From File" in output

    minuku = layout.venv_dir / "bin" / "minuku"
    doctor = subprocess.run(
        [str(minuku), "doctor", "--timeout", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = doctor.stdout.splitlines()
    assert lines and all(line.startswith(("OK", "FAIL", "WARN")) for line in lines), doctor
    assert any(line.startswith("OK") and "host manifest" in line for line in lines)

    gone = subprocess.run(
        [str(minuku), "uninstall"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert gone.returncode == 0, gone.stdout + gone.stderr
    # pip and other tools may leave caches in HOME; ours must all be gone.
    assert not layout.data_dir.exists()
    for manifest in layout.manifests:
        assert not manifest.exists()
    assert not (home / ".mozilla").exists() or sys.platform == "darwin"
    assert not (repo / "dist").exists()
