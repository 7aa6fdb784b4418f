"""The installer's files and folders get fixed modes whatever the umask, and its atomic
writes never follow a link (issue 12). POSIX only: Windows has no modes or umask to test."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from minuku import install as inst
from test_install import do_install, make_ctx

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and umask")


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_under_umask_000_the_installed_tree_has_fixed_modes(
    tmp_path: Path, platform: str, umask_000: None
) -> None:
    ctx = make_ctx(tmp_path, platform)
    before = {p for p in ctx.home.rglob("*")}
    report = do_install(ctx, tmp_path)
    state = inst.load_state(ctx.layout.state_file)
    assert state is not None
    created_dirs = [Path(d) for d in state.dirs]
    assert created_dirs, "the install created its folders"
    for folder in created_dirs:
        assert _mode(folder) == 0o700, folder
    assert _mode(ctx.layout.launcher) == 0o755
    for name in state.files:
        path = Path(name)
        if path != ctx.layout.launcher:
            assert _mode(path) == 0o644, path
    assert _mode(ctx.layout.state_file) == 0o644
    # Nothing in HOME is writable by group or others.
    for path in set(ctx.home.rglob("*")) - before:
        assert not _mode(path) & 0o022, path
    assert report.layout.launcher.exists()


def test_rerun_repairs_modes_left_loose_by_an_old_install(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path)
    ctx.layout.launcher.chmod(0o777)
    do_install(ctx, tmp_path)
    assert _mode(ctx.layout.launcher) == 0o755


def test_planted_symlink_at_a_temp_path_is_not_followed(tmp_path: Path) -> None:
    """The old temporary name was predictable (``<name>.minuku-tmp``): a local attacker could
    plant a link there and have the installer write through it. Now the name is random and the
    file is created with O_EXCL|O_NOFOLLOW, so the victim file stays untouched."""
    target = tmp_path / "victim.txt"
    target.write_bytes(b"precious")
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "minuku-host"
    (folder / "minuku-host.minuku-tmp").symlink_to(target)
    assert inst._write_if_changed(path, b"#!/bin/sh\n", 0o755)
    assert target.read_bytes() == b"precious"
    assert path.read_bytes() == b"#!/bin/sh\n" and not path.is_symlink()
    assert _mode(path) == 0o755
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".minuku-tmp")]
    assert leftovers == ["minuku-host.minuku-tmp"]  # the planted link, and no temp of ours


def test_a_link_planted_at_the_destination_is_replaced_not_written_through(
    tmp_path: Path,
) -> None:
    target = tmp_path / "victim.txt"
    target.write_bytes(b"precious")
    path = tmp_path / "minuku.json"
    path.symlink_to(target)
    assert inst._write_if_changed(path, b"{}")
    assert target.read_bytes() == b"precious"
    assert not path.is_symlink() and path.read_bytes() == b"{}"


def test_exclusive_create_refuses_an_existing_temp_path(tmp_path: Path) -> None:
    """O_EXCL|O_NOFOLLOW as used: an existing link at the name makes open fail."""
    link = tmp_path / "t"
    link.symlink_to(tmp_path / "nowhere")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with pytest.raises(FileExistsError):
        os.open(link, flags, 0o644)
    assert not (tmp_path / "nowhere").exists()


def test_install_sh_sets_a_private_umask() -> None:
    """install.sh creates the data folder and the venv: under umask 000 they were 777."""
    script = (Path(__file__).resolve().parents[1] / "install.sh").read_text("utf-8")
    assert "umask 077" in script
    assert script.index("umask 077") < script.index('mkdir -p "$DATA"')
    out = subprocess.run(
        ["bash", "-n", str(Path(__file__).resolve().parents[1] / "install.sh")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
