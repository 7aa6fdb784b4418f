"""``minuku install`` / ``uninstall`` / ``doctor`` on all three OS layouts, in a temporary HOME.

The layouts are pure functions of (platform, home, env), so linux, darwin and win32 all run here;
the Windows registry is a dict behind the same interface as the real ``winreg`` writer. Expected
locations are spelled out from Mozilla's native-messaging docs rather than taken from the code.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from minuku import install as inst
from minuku.install import Check, Context, InstallError, PingOutcome, Text
from minuku.platforms import ADDON_ID, REGISTRY_KEY, layout_for

REPO = Path(__file__).resolve().parents[1]
PLATFORMS = ["linux", "darwin", "win32"]

EXPECTED_MANIFESTS = {
    "linux": [".mozilla/native-messaging-hosts/minuku.json"],
    "darwin": [
        "Library/Mozilla/NativeMessagingHosts/minuku.json",
        "Library/Application Support/Mozilla/NativeMessagingHosts/minuku.json",
    ],
    "win32": ["AppData/Local/Minuku/minuku.json"],
}
EXPECTED_LAUNCHER = {
    "linux": ".local/share/minuku/minuku-host",
    "darwin": "Library/Application Support/Minuku/minuku-host",
    "win32": "AppData/Local/Minuku/minuku-host.bat",
}


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_default(self, key: str) -> str | None:
        return self.values.get(key)

    def set_default(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def make_ctx(
    tmp: Path,
    platform: str,
    *,
    env: dict[str, str] | None = None,
    flatpak: bool = False,
) -> Context:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return Context(
        home=home,
        platform=platform,
        env=env or {},
        registry=FakeRegistry() if platform == "win32" else None,
        fs_root=tmp / "root",
        flatpak_info=lambda: flatpak,
    )


def make_source(tmp: Path, *, gecko_id: str = ADDON_ID, manifest: bool = True) -> Path:
    src = tmp / "src"
    (src / "manifest").mkdir(parents=True, exist_ok=True)
    template = (REPO / "manifest" / "minuku.json.in").read_text("utf-8")
    (src / "manifest" / "minuku.json.in").write_text(template, "utf-8")
    ext = src / "extension"
    (ext / "_locales" / "ja").mkdir(parents=True, exist_ok=True)
    (ext / "tests").mkdir(exist_ok=True)
    if manifest:
        data = {
            "manifest_version": 3,
            "name": "Minuku",
            "version": "0.1.0",
            "browser_specific_settings": {"gecko": {"id": gecko_id}},
        }
        (ext / "manifest.json").write_text(json.dumps(data), "utf-8")
    (ext / "background.js").write_text("console.log('bg');\n", "utf-8")
    (ext / "_locales" / "ja" / "messages.json").write_text('{"x": {"message": "見抜く"}}', "utf-8")
    (ext / ".eslintrc.json").write_text("{}", "utf-8")
    (ext / "tests" / "banner.test.js").write_text("test", "utf-8")
    return src


def fake_python(tmp: Path) -> Path:
    """A stand-in interpreter outside HOME that echoes its arguments."""
    python = tmp / "usr" / "bin" / "python3"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text('#!/bin/sh\necho "$@"\n', "utf-8")
    python.chmod(0o755)
    return python


def snapshot(root: Path) -> dict[str, tuple[str, bytes, int]]:
    tree: dict[str, tuple[str, bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            tree[rel] = ("dir", b"", mode)
        else:
            tree[rel] = ("file", path.read_bytes(), mode)
    return tree


def ok_ping(argv: object, cwd: Path, timeout: float) -> PingOutcome:
    return PingOutcome(True, "pong")


def do_install(ctx: Context, tmp: Path, **kw: object) -> inst.InstallReport:
    python = kw.pop("python", None) or fake_python(tmp)
    source = kw.pop("source", None) or make_source(tmp)
    assert isinstance(python, Path) and isinstance(source, Path)
    return inst.install(ctx, python=python, source=source, out=Lines(), **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- manifests, launcher


@pytest.mark.parametrize("platform", PLATFORMS)
def test_manifest_lands_where_thunderbird_reads_it(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    do_install(ctx, tmp_path)
    launcher = ctx.home / EXPECTED_LAUNCHER[platform]
    assert launcher.is_file()
    for rel in EXPECTED_MANIFESTS[platform]:
        data = json.loads((ctx.home / rel).read_text("utf-8"))
        assert data["name"] == "minuku"
        assert data["type"] == "stdio"
        assert data["allowed_extensions"] == [ADDON_ID]
        assert Path(data["path"]).is_absolute()
        assert Path(data["path"]) == launcher
        assert set(data) == {"name", "description", "path", "type", "allowed_extensions"}


def test_windows_registry_default_value_is_manifest_path(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "win32")
    do_install(ctx, tmp_path)
    assert isinstance(ctx.registry, FakeRegistry)
    manifest = ctx.home / EXPECTED_MANIFESTS["win32"][0]
    assert ctx.registry.values == {r"Software\Mozilla\NativeMessagingHosts\minuku": str(manifest)}
    assert REGISTRY_KEY == r"Software\Mozilla\NativeMessagingHosts\minuku"


def test_windows_without_registry_writer_refuses(tmp_path: Path) -> None:
    ctx = Context(home=tmp_path, platform="win32", env={}, registry=None, fs_root=tmp_path)
    with pytest.raises(InstallError):
        do_install(ctx, tmp_path)


def test_xdg_data_home_is_honoured_and_relative_one_ignored(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    layout = layout_for("linux", tmp_path / "home", {"XDG_DATA_HOME": str(xdg)})
    assert layout.launcher == xdg / "minuku" / "minuku-host"
    assert layout.venv_python == xdg / "minuku" / "venv" / "bin" / "python"
    relative = layout_for("linux", tmp_path / "home", {"XDG_DATA_HOME": "rel/dir"})
    assert relative.data_dir == tmp_path / "home" / ".local" / "share" / "minuku"


def test_windows_layout_follows_localappdata_and_appdata(tmp_path: Path) -> None:
    env = {"LOCALAPPDATA": str(tmp_path / "L"), "APPDATA": str(tmp_path / "R")}
    layout = layout_for("win32", tmp_path / "home", env)
    assert layout.data_dir == tmp_path / "L" / "Minuku"
    assert layout.venv_python == tmp_path / "L" / "Minuku" / "venv" / "Scripts" / "python.exe"
    assert layout.profiles_root == tmp_path / "R" / "Thunderbird"


@pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX launcher")
def test_posix_launcher_execs_python_with_thunderbirds_arguments(tmp_path: Path) -> None:
    weird = tmp_path / 'odd dir $HOME "q" `x`'
    python = fake_python(weird)
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path, python=python)
    launcher = ctx.layout.launcher
    text = launcher.read_text("utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755
    assert inst.launcher_target("linux", text) == python
    manifest = str(ctx.layout.manifests[0])
    done = subprocess.run(
        [str(launcher), manifest, ADDON_ID], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["-m", "minuku", "host", *manifest.split(), ADDON_ID]


def test_windows_launcher_is_a_bat_running_python(tmp_path: Path) -> None:
    text = inst.render_launcher("win32", Path(r"C:\Users\A 100%\Minuku\venv\Scripts\python.exe"))
    assert text.startswith("@echo off\r\n")
    assert '"C:\\Users\\A 100%%\\Minuku\\venv\\Scripts\\python.exe" -m minuku host %*\r\n' in text
    assert inst.launcher_target("win32", text) == Path(
        r"C:\Users\A 100%\Minuku\venv\Scripts\python.exe"
    )


def test_template_renders_like_the_builtin_manifest(tmp_path: Path) -> None:
    template = (REPO / "manifest" / "minuku.json.in").read_text("utf-8")
    launcher = tmp_path / 'a "quoted" \\ path' / "minuku-host"
    assert inst.render_manifest(launcher, template) == inst.render_manifest(launcher, None)
    assert json.loads(inst.render_manifest(launcher, template))["path"] == str(launcher)


def test_a_template_allowing_other_extensions_is_refused(tmp_path: Path) -> None:
    template = (REPO / "manifest" / "minuku.json.in").read_text("utf-8")
    bad = template.replace(f'"{ADDON_ID}"', f'"{ADDON_ID}", "evil@example.org"')
    with pytest.raises(InstallError, match="manifest_wrong_extensions"):
        inst.render_manifest(tmp_path / "l", bad)
    with pytest.raises(InstallError, match="not valid JSON"):
        inst.render_manifest(tmp_path / "l", "{")


# --------------------------------------------------------------------------- idempotence, uninstall


@pytest.mark.parametrize("platform", PLATFORMS)
def test_install_twice_gives_the_same_files(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    python, source = fake_python(tmp_path), make_source(tmp_path)
    first = do_install(ctx, tmp_path, python=python, source=source)
    after_first = snapshot(tmp_path)
    second = do_install(ctx, tmp_path, python=python, source=source)
    assert snapshot(tmp_path) == after_first
    assert first.written and second.written == ()
    state = json.loads(ctx.layout.state_file.read_text("utf-8"))
    for key in ("files", "dirs", "manifests"):
        assert len(state[key]) == len(set(state[key]))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_uninstall_restores_the_tree_and_spares_other_files(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    python, source = fake_python(tmp_path), make_source(tmp_path)
    # Other hosts' manifests and other files in the folders we write to must survive.
    for rel in EXPECTED_MANIFESTS[platform]:
        other = ctx.home / rel
        other.parent.mkdir(parents=True, exist_ok=True)
        other.with_name("other_host.json").write_text("{}", "utf-8")
    (source / "dist").mkdir()
    (source / "dist" / "keep.txt").write_text("mine", "utf-8")
    before = snapshot(tmp_path)
    do_install(ctx, tmp_path, python=python, source=source)
    do_install(ctx, tmp_path, python=python, source=source)
    assert snapshot(tmp_path) != before
    assert inst.uninstall(ctx, out=Lines()) == 0
    assert snapshot(tmp_path) == before
    if isinstance(ctx.registry, FakeRegistry):
        assert ctx.registry.values == {}


def test_uninstall_from_an_empty_home_leaves_nothing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "darwin")
    before = snapshot(tmp_path)
    python, source = fake_python(tmp_path / "py"), make_source(tmp_path / "s")
    before = snapshot(tmp_path)
    do_install(ctx, tmp_path, python=python, source=source)
    assert (ctx.home / "Library").is_dir()
    inst.uninstall(ctx, out=Lines())
    assert snapshot(tmp_path) == before
    assert not (ctx.home / "Library").exists()


def test_uninstall_keeps_a_folder_the_user_filled_meanwhile(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path)
    hosts = ctx.home / ".mozilla" / "native-messaging-hosts"
    (hosts / "later.json").write_text("{}", "utf-8")
    inst.uninstall(ctx, out=Lines())
    assert sorted(p.name for p in hosts.iterdir()) == ["later.json"]


def test_uninstall_removes_our_venv_unless_asked_to_keep_it(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    venv_python = ctx.layout.venv_python
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\n", "utf-8")
    do_install(ctx, tmp_path, python=venv_python)
    assert json.loads(ctx.layout.state_file.read_text("utf-8"))["venv"] == str(ctx.layout.venv_dir)
    inst.uninstall(ctx, keep_venv=True, out=Lines())
    assert venv_python.is_file()
    assert not ctx.layout.launcher.exists()
    do_install(ctx, tmp_path, python=venv_python)
    inst.uninstall(ctx, out=Lines())
    assert not ctx.layout.data_dir.exists()


def test_uninstall_leaves_a_registry_key_that_points_elsewhere(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "win32")
    do_install(ctx, tmp_path)
    assert isinstance(ctx.registry, FakeRegistry)
    ctx.registry.values[REGISTRY_KEY] = r"D:\other\minuku.json"
    lines = Lines()
    inst.uninstall(ctx, out=lines)
    assert ctx.registry.values == {REGISTRY_KEY: r"D:\other\minuku.json"}
    assert any("D:\\other" in line for line in lines.lines)


def test_uninstall_never_removes_files_with_foreign_names(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep", "utf-8")
    state = json.loads(ctx.layout.state_file.read_text("utf-8"))
    state["files"].append(str(precious))
    ctx.layout.state_file.write_text(json.dumps(state), "utf-8")
    inst.uninstall(ctx, out=Lines())
    assert precious.read_text("utf-8") == "keep"
    assert not ctx.layout.launcher.exists()


def test_uninstall_with_a_damaged_record_removes_nothing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path)
    ctx.layout.state_file.write_text("{not json", "utf-8")
    before = snapshot(tmp_path)
    assert inst.uninstall(ctx, out=Lines()) == 1
    assert snapshot(tmp_path) == before


def test_uninstall_without_a_record_is_a_no_op(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    before = snapshot(tmp_path)
    assert inst.uninstall(ctx, out=Lines()) == 0
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- xpi, profile


def test_xpi_is_reproducible_and_skips_tests_and_dotfiles(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    first = inst.build_xpi(source / "extension")
    os.utime(source / "extension" / "background.js", (1_000_000_000, 1_000_000_000))
    second = inst.build_xpi(source / "extension")
    assert first.data is not None and first.data == second.data
    with zipfile.ZipFile(io.BytesIO(first.data)) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert names == ["_locales/ja/messages.json", "background.js", "manifest.json"]
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert json.loads(archive.read("manifest.json"))["browser_specific_settings"]
    assert first.addon_id == ADDON_ID


def test_missing_extension_manifest_is_said_and_xpi_skipped(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    source = make_source(tmp_path, manifest=False)
    lines = Lines()
    report = inst.install(ctx, python=fake_python(tmp_path), source=source, out=lines)
    assert report.xpi is None and "xpi_no_manifest" in report.notes
    assert not (source / "dist").exists()
    assert any("manifest.json is missing" in line for line in lines.lines)
    assert ctx.layout.manifests[0].is_file()


def test_wrong_gecko_id_is_reported(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    report = do_install(ctx, tmp_path, source=make_source(tmp_path, gecko_id="x@y"))
    assert "xpi_wrong_id" in report.notes


def test_install_prints_how_to_add_the_addon(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    lines = Lines()
    source = make_source(tmp_path)
    inst.install(ctx, python=fake_python(tmp_path), source=source, out=lines)
    text = "\n".join(lines.lines)
    assert "Install Add-on From File" in text and str(source / "dist" / "minuku.xpi") in text
    ja = Lines()
    inst.install(ctx, python=fake_python(tmp_path), source=source, out=ja, text=Text("ja"))
    assert "ファイルからアドオンをインストール" in "\n".join(ja.lines)


def write_profiles_ini(root: Path) -> Path:
    profile = root / "abcd1234.default-release"
    profile.mkdir(parents=True)
    (root / "profiles.ini").write_text(
        "[General]\nStartWithLastProfile=1\n\n"
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\n",
        "utf-8",
    )
    return profile


@pytest.mark.parametrize(
    ("platform", "root"),
    [
        ("linux", ".thunderbird"),
        ("darwin", "Library/Thunderbird"),
        ("win32", "AppData/Roaming/Thunderbird"),
    ],
)
def test_profile_by_name_gets_the_xpi(tmp_path: Path, platform: str, root: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    profile = write_profiles_ini(ctx.home / root)
    report = do_install(ctx, tmp_path, profile="default-release")
    target = profile / "extensions" / f"{ADDON_ID}.xpi"
    assert report.profile_xpi == target
    assert target.read_bytes() == (tmp_path / "src" / "dist" / "minuku.xpi").read_bytes()
    inst.uninstall(ctx, out=Lines())
    assert not (profile / "extensions").exists() and profile.is_dir()


def test_profile_by_path_and_unknown_profile(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    folder = tmp_path / "myprofile"
    (folder / "extensions").mkdir(parents=True)
    report = do_install(ctx, tmp_path, profile=str(folder))
    assert report.profile_xpi == folder / "extensions" / f"{ADDON_ID}.xpi"
    write_profiles_ini(ctx.home / ".thunderbird")
    with pytest.raises(InstallError, match="default-release"):
        do_install(ctx, tmp_path, profile="nosuch")


def test_damaged_profiles_ini_does_not_crash(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    root = ctx.home / ".thunderbird"
    root.mkdir()
    (root / "profiles.ini").write_bytes(b"\xff\xfe[Profile0\nName")
    with pytest.raises(InstallError, match="no Thunderbird profile"):
        inst.find_profile("default", ctx.layout)


def test_profile_copy_is_remembered_by_later_runs(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    folder = tmp_path / "p"
    folder.mkdir()
    python, source = fake_python(tmp_path), make_source(tmp_path)
    do_install(ctx, tmp_path, python=python, source=source, profile=str(folder))
    do_install(ctx, tmp_path, python=python, source=source)
    inst.uninstall(ctx, out=Lines())
    assert list(folder.iterdir()) == []


def test_find_source_needs_our_template_when_guessing(tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "extension").mkdir(parents=True)
    found = inst.find_source(None, other)
    assert found is None or (found / "manifest" / "minuku.json.in").is_file()
    assert inst.find_source(other, tmp_path) == other.resolve()
    with pytest.raises(InstallError, match="not a Minuku checkout"):
        inst.find_source(tmp_path / "nothing", tmp_path)
    source = make_source(tmp_path)
    assert inst.find_source(None, source) == source.resolve()


# --------------------------------------------------------------------------- sandboxes


def test_flatpak_and_snap_are_detected_and_explained(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    assert inst.detect_sandboxes(ctx) == []
    (ctx.home / ".var" / "app" / "org.mozilla.Thunderbird").mkdir(parents=True)
    snap = tmp_path / "root" / "snap" / "bin" / "thunderbird"
    snap.parent.mkdir(parents=True)
    snap.write_text("", "utf-8")
    lines = Lines()
    report = inst.install(
        ctx, python=fake_python(tmp_path), source=make_source(tmp_path), out=lines
    )
    assert report.notes[:2] == ("flatpak_detected", "snap_detected")
    text = "\n".join(lines.lines)
    assert "Flatpak" in text and "cannot start native hosts" in text
    assert "widget.use-xdg-desktop-portal.native-messaging" in text


def test_flatpak_probe_alone_is_enough_and_macos_has_none(tmp_path: Path) -> None:
    assert inst.detect_sandboxes(make_ctx(tmp_path, "linux", flatpak=True)) == ["flatpak_detected"]
    assert inst.detect_sandboxes(make_ctx(tmp_path, "darwin", flatpak=True)) == []


# --------------------------------------------------------------------------- doctor


def codes(checks: list[Check]) -> set[str]:
    return {c.code for c in checks if c.failed}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_doctor_is_happy_with_a_fresh_install(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    do_install(ctx, tmp_path)
    seen: list[tuple[list[str], Path]] = []

    def ping(argv: object, cwd: Path, timeout: float) -> PingOutcome:
        assert isinstance(argv, list)
        seen.append((argv, cwd))
        return PingOutcome(True, "pong")

    lines = Lines()
    checks = inst.doctor(ctx, ping=ping, out=lines)
    assert codes(checks) == set()
    launcher = ctx.layout.launcher
    assert seen == [([str(launcher), str(ctx.layout.manifests[0]), ADDON_ID], launcher.parent)]
    assert len(lines.lines) == len(checks)
    assert all(line.startswith(("OK", "FAIL", "WARN")) for line in lines.lines)
    expected = {"state_ok", "launcher_ok", "python_ok", "manifest_ok", "ping_ok", "xpi_ok"}
    assert expected <= {c.code for c in checks}


def test_doctor_on_nothing_installed(tmp_path: Path) -> None:
    checks = inst.doctor(make_ctx(tmp_path, "linux"), ping=ok_ping, out=Lines())
    assert {"state_missing", "launcher_missing", "manifest_missing", "xpi_missing"} <= codes(checks)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_doctor_finds_a_deleted_launcher(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    do_install(ctx, tmp_path)
    ctx.layout.launcher.unlink()
    lines = Lines()
    checks = inst.doctor(ctx, ping=ok_ping, out=lines)
    assert {"launcher_missing", "ping_skipped"} <= codes(checks)
    assert any(
        line.startswith("FAIL launcher") and "minuku install" in line for line in lines.lines
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_doctor_finds_a_corrupt_manifest(tmp_path: Path, platform: str) -> None:
    ctx = make_ctx(tmp_path, platform)
    do_install(ctx, tmp_path)
    ctx.layout.manifests[-1].write_text('{"name": "minuku", ', "utf-8")
    assert codes(inst.doctor(ctx, ping=ok_ping, out=Lines())) == {"manifest_invalid_json"}


def test_doctor_finds_extra_allowed_extensions(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "darwin")
    do_install(ctx, tmp_path)
    manifest = ctx.layout.manifests[0]
    data = json.loads(manifest.read_text("utf-8"))
    data["allowed_extensions"].append("evil@example.org")
    manifest.write_text(json.dumps(data), "utf-8")
    lines = Lines()
    checks = inst.doctor(ctx, ping=ok_ping, out=lines)
    assert codes(checks) == {"manifest_wrong_extensions"}
    assert any("evil@example.org" in line for line in lines.lines)


def test_doctor_finds_wrong_path_name_and_type(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    do_install(ctx, tmp_path)
    manifest = ctx.layout.manifests[0]
    data = json.loads(manifest.read_text("utf-8"))
    manifest.write_text(json.dumps({**data, "path": "minuku-host"}), "utf-8")
    assert codes(inst.doctor(ctx, ping=ok_ping, out=Lines())) == {"manifest_wrong_path"}
    manifest.write_text(json.dumps({**data, "name": "other"}), "utf-8")
    assert codes(inst.doctor(ctx, ping=ok_ping, out=Lines())) == {"manifest_wrong_name"}
    manifest.write_text(json.dumps({**data, "type": "pipe"}), "utf-8")
    assert codes(inst.doctor(ctx, ping=ok_ping, out=Lines())) == {"manifest_wrong_type"}


def test_doctor_finds_a_non_executable_launcher_and_missing_python(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    python = fake_python(tmp_path)
    do_install(ctx, tmp_path, python=python)
    ctx.layout.launcher.chmod(0o644)
    assert {"launcher_not_executable", "ping_skipped"} <= codes(
        inst.doctor(ctx, ping=ok_ping, out=Lines())
    )
    ctx.layout.launcher.chmod(0o755)
    python.unlink()
    assert {"python_missing", "ping_skipped"} <= codes(inst.doctor(ctx, ping=ok_ping, out=Lines()))


def test_doctor_finds_a_missing_registry_value_and_a_failing_host(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "win32")
    do_install(ctx, tmp_path)
    assert isinstance(ctx.registry, FakeRegistry)
    ctx.registry.values.clear()

    def bad_ping(argv: object, cwd: Path, timeout: float) -> PingOutcome:
        return PingOutcome(False, "No module named minuku.__main__")

    lines = Lines()
    assert codes(inst.doctor(ctx, ping=bad_ping, out=lines)) == {"registry_missing", "ping_failed"}
    assert any("No module named minuku.__main__" in line for line in lines.lines)


def test_doctor_finds_a_broken_xpi(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux")
    report = do_install(ctx, tmp_path)
    assert report.xpi is not None
    report.xpi.write_bytes(b"not a zip")
    assert codes(inst.doctor(ctx, ping=ok_ping, out=Lines())) == {"xpi_invalid"}


def test_doctor_warns_about_flatpak_without_failing(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, "linux", flatpak=True)
    do_install(ctx, tmp_path)
    checks = inst.doctor(ctx, ping=ok_ping, out=Lines())
    assert codes(checks) == set()
    assert any(c.code == "flatpak_detected" and c.warn for c in checks)


# --------------------------------------------------------------------------- real ping


HOSTS = {
    "pong": (
        "import json, struct, sys\n"
        "n = struct.unpack('<I', sys.stdin.buffer.read(4))[0]\n"
        "req = json.loads(sys.stdin.buffer.read(n))\n"
        "assert req == {'type': 'ping', 'protocol_version': 1, 'id': 'doctor'}, req\n"
        "assert sys.argv[2] == 'minuku@addons.minuku'\n"
        "out = json.dumps({'type': 'pong', 'protocol_version': 1, 'id': req['id']}).encode()\n"
        "sys.stdout.buffer.write(struct.pack('<I', len(out)) + out)\n"
    ),
    "error": (
        "import json, struct, sys\n"
        "out = json.dumps({'type': 'error', 'code': 'bad'}).encode()\n"
        "sys.stdout.buffer.write(struct.pack('<I', len(out)) + out)\n"
    ),
    "crash": "import sys\nsys.stderr.write('Traceback\\nModuleNotFoundError: no minuku\\n')\nsys.exit(1)\n",
    "garbage": "import sys\nsys.stdout.buffer.write(b'\\xff\\xff\\xff\\x7fhello')\n",
    "silent": "import time\ntime.sleep(30)\n",
}


@pytest.mark.parametrize(
    ("host", "ok", "needle"),
    [
        ("pong", True, "protocol 1"),
        ("error", False, "unexpected reply type 'error'"),
        ("crash", False, "no minuku"),
        ("garbage", False, "exceeds 1 MB"),
        ("silent", False, "no reply within"),
    ],
)
def test_ping_host_speaks_native_messaging(
    tmp_path: Path, host: str, ok: bool, needle: str
) -> None:
    script = tmp_path / "host.py"
    script.write_text(HOSTS[host], "utf-8")
    argv = [sys.executable, str(script), str(tmp_path / "minuku.json"), ADDON_ID]
    outcome = inst.ping_host(argv, tmp_path, timeout=0.5 if host == "silent" else 20)
    assert outcome.ok is ok
    assert needle in outcome.detail


def test_ping_of_a_missing_program_fails_cleanly(tmp_path: Path) -> None:
    outcome = inst.ping_host([str(tmp_path / "nope")], tmp_path, timeout=1)
    assert not outcome.ok and "cannot start" in outcome.detail


def test_frame_decoding_rejects_short_and_non_object_frames() -> None:
    assert inst.decode_frame(b"\x01\x00") == (None, "no reply")
    assert inst.decode_frame(b"\x05\x00\x00\x00ab")[1].startswith("truncated")
    assert inst.decode_frame(inst.encode_frame({"a": 1})) == ({"a": 1}, "")
    body = b"[1]"
    assert (
        inst.decode_frame(len(body).to_bytes(4, "little") + body)[1] == "reply is not a JSON object"
    )


# --------------------------------------------------------------------------- CLI wiring


def test_add_subcommands_wires_handlers() -> None:
    parser = argparse.ArgumentParser(prog="minuku")
    inst.add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["install", "--profile", "default", "--lang", "ja"])
    assert args.profile == "default" and args.lang == "ja" and callable(args.func)
    assert parser.parse_args(["uninstall", "--keep-venv"]).keep_venv is True
    assert parser.parse_args(["doctor", "--timeout", "3"]).timeout == 3.0


def test_language_follows_the_locale() -> None:
    assert inst.default_lang({"LANG": "ja_JP.UTF-8"}) == "ja"
    assert inst.default_lang({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}) == "en"
    assert inst.default_lang({}) == "en"
    assert Text("ja")("check_launcher_missing", path="/x") == "ランチャー /x がありません"
    assert Text("fr")("check_launcher_missing", path="/x") == "launcher /x missing"
