"""``minuku install`` / ``uninstall`` / ``doctor``: register the native host with Thunderbird.

Owns the launcher script, the native-messaging host manifest (rendered from
``manifest/minuku.json.in``), the Windows registry value, the add-on package ``dist/minuku.xpi``,
the optional copy into a Thunderbird profile, and the install record ``<data>/installed.json``
that lets ``uninstall`` remove exactly what was written and nothing else.

Implements Mozilla's native-messaging host contract (manifest fields ``name``/``description``/
``path``/``type``/``allowed_extensions``; stdio frames = 32-bit length + UTF-8 JSON, which
``doctor`` uses to ping the host). Thunderbird starts the host as ``[path, manifest, addon id]``
with the launcher's folder as working directory, so every path written here is absolute.
Deviation: frames are packed little-endian rather than "native" (every platform we ship on is
little-endian, and the host does the same).

Every location is injected through :class:`Context` (home, platform, environment, registry,
file-system root, Flatpak probe), so the three OS layouts are testable on one machine.
"""

from __future__ import annotations

import argparse
import configparser
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from minuku.platforms import (
    ADDON_ID,
    HOST_NAME,
    WIN32,
    Layout,
    UnsupportedPlatform,
    layout_for,
    normalize_platform,
)

STATE_FORMAT = 1
MANIFEST_TEMPLATE = Path("manifest") / "minuku.json.in"
PATH_TOKEN = "@MINUKU_HOST_PATH@"
MANIFEST_DESCRIPTION = (
    "Minuku (見抜く) native host: checks whether a mail's sender is who it claims to be"
)
XPI_NAME = "minuku.xpi"
PROFILE_XPI_NAME = f"{ADDON_ID}.xpi"
MAX_FRAME = 1024 * 1024
# 1980-01-01 is the earliest date a zip entry can carry; a fixed one makes the xpi reproducible.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
XPI_SKIP_DIRS = frozenset({"tests", "test", "node_modules", "__pycache__"})
FLATPAK_APP = "org.mozilla.Thunderbird"

Out = Callable[[str], None]


class InstallError(Exception):
    """Installation cannot go on; the message says what to do."""


# --------------------------------------------------------------------------- registry


class Registry(Protocol):
    """HKEY_CURRENT_USER access, reduced to what the native-messaging key needs."""

    def get_default(self, key: str) -> str | None: ...

    def set_default(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class WinregRegistry:
    """The real registry; ``winreg`` is imported only when a method runs on Windows."""

    def get_default(self, key: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = winreg.QueryValueEx(handle, "")
        except FileNotFoundError:
            return None
        return str(value)

    def set_default(self, key: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_WRITE) as handle:
            winreg.SetValueEx(handle, "", 0, winreg.REG_SZ, value)

    def delete(self, key: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg

        try:
            winreg.DeleteKey(winreg.HKEY_CURRENT_USER, key)
        except FileNotFoundError:
            pass


def _flatpak_info() -> bool:
    """True when ``flatpak info org.mozilla.Thunderbird`` says the app is installed."""
    flatpak = shutil.which("flatpak")
    if flatpak is None:
        return False
    try:
        done = subprocess.run(
            [flatpak, "info", FLATPAK_APP], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@dataclass(frozen=True)
class Context:
    """Everything the installer reads from the outside world."""

    home: Path
    platform: str
    env: Mapping[str, str]
    registry: Registry | None = None
    fs_root: Path = Path("/")
    flatpak_info: Callable[[], bool] = _flatpak_info

    @classmethod
    def current(cls) -> Context:
        return cls(
            home=Path.home(),
            platform=sys.platform,
            env=dict(os.environ),
            registry=WinregRegistry() if sys.platform == "win32" else None,
        )

    @property
    def layout(self) -> Layout:
        return layout_for(self.platform, self.home, self.env)


# --------------------------------------------------------------------------- text


_TEXT_CACHE: dict[str, dict[str, str]] = {}


def _catalogue() -> dict[str, dict[str, str]]:
    if not _TEXT_CACHE:
        raw = resources.files("minuku").joinpath("data", "installer_text.json").read_text("utf-8")
        _TEXT_CACHE.update(json.loads(raw))
    return _TEXT_CACHE


@dataclass(frozen=True)
class Text:
    """Renders installer messages in one language, falling back to English."""

    lang: str = "en"

    def __call__(self, key: str, /, **params: object) -> str:
        cat = _catalogue()
        template = cat.get(self.lang, {}).get(key) or cat["en"].get(key) or key
        return template.format(**params)


def default_lang(env: Mapping[str, str]) -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


# --------------------------------------------------------------------------- pure renderers


def _sh_quote(value: str) -> str:
    """Double-quoted POSIX shell word."""
    return '"' + re.sub(r'(["\\$`])', r"\\\1", value) + '"'


def render_launcher(platform: str, python: Path) -> str:
    """The launcher Thunderbird starts: runs ``python -m minuku host`` with Thunderbird's args."""
    if normalize_platform(platform) == WIN32:
        # cmd expands %VAR% even inside quotes; doubling keeps a literal percent sign.
        quoted = '"' + str(python).replace("%", "%%") + '"'
        return f"@echo off\r\nrem Written by `minuku install`.\r\n{quoted} -m minuku host %*\r\n"
    return (
        "#!/bin/sh\n"
        "# Written by `minuku install`: starts the Minuku native-messaging host.\n"
        f'exec {_sh_quote(str(python))} -m minuku host "$@"\n'
    )


_POSIX_TARGET = re.compile(r'^exec "((?:[^"\\]|\\.)*)" -m minuku host "\$@"$', re.MULTILINE)
_WIN_TARGET = re.compile(r'^"([^"]*)" -m minuku host %\*\r?$', re.MULTILINE)


def launcher_target(platform: str, text: str) -> Path | None:
    """The python a launcher runs, or None when the launcher is not one of ours."""
    if normalize_platform(platform) == WIN32:
        match = _WIN_TARGET.search(text)
        return Path(match.group(1).replace("%%", "%")) if match else None
    match = _POSIX_TARGET.search(text)
    return Path(re.sub(r"\\(.)", r"\1", match.group(1))) if match else None


def default_manifest(launcher: Path) -> dict[str, Any]:
    return {
        "name": HOST_NAME,
        "description": MANIFEST_DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
        "allowed_extensions": [ADDON_ID],
    }


def manifest_problems(data: object, launcher: Path | None) -> list[str]:
    """Codes for what is wrong with a parsed host manifest (empty when it is right)."""
    if not isinstance(data, dict):
        return ["manifest_invalid_json"]
    problems = []
    if data.get("name") != HOST_NAME:
        problems.append("manifest_wrong_name")
    path = data.get("path")
    absolute = isinstance(path, str) and Path(path).is_absolute()
    if not absolute or (launcher is not None and Path(str(path)) != launcher):
        problems.append("manifest_wrong_path")
    if data.get("type") != "stdio":
        problems.append("manifest_wrong_type")
    if data.get("allowed_extensions") != [ADDON_ID]:
        problems.append("manifest_wrong_extensions")
    return problems


def render_manifest(launcher: Path, template: str | None = None) -> str:
    """The host manifest's JSON text, from the repo template when given (else the built-in one)."""
    if template is None:
        data: object = default_manifest(launcher)
    else:
        filled = template.replace(f'"{PATH_TOKEN}"', json.dumps(str(launcher)))
        try:
            data = json.loads(filled)
        except json.JSONDecodeError as exc:
            raise InstallError(f"{MANIFEST_TEMPLATE} is not valid JSON: {exc}") from exc
    problems = manifest_problems(data, launcher)
    if problems:
        raise InstallError(f"{MANIFEST_TEMPLATE} is wrong: {', '.join(problems)}")
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- xpi


@dataclass(frozen=True)
class Xpi:
    data: bytes | None
    """The package, or None when it cannot be built (``problem`` says why)."""
    problem: str | None = None
    addon_id: str | None = None
    entries: tuple[str, ...] = ()


def _xpi_entries(extension_dir: Path) -> list[tuple[str, Path]]:
    entries = []
    for path in extension_dir.rglob("*"):
        rel = path.relative_to(extension_dir)
        parts = rel.parts
        if any(p.startswith(".") for p in parts) or any(p in XPI_SKIP_DIRS for p in parts[:-1]):
            continue
        if path.is_file() and not path.name.endswith(".xpi"):
            entries.append((rel.as_posix(), path))
    return sorted(entries)


def _gecko_id(manifest: object) -> str | None:
    if not isinstance(manifest, dict):
        return None
    for key in ("browser_specific_settings", "applications"):
        settings = manifest.get(key)
        if isinstance(settings, dict):
            gecko = settings.get("gecko")
            if isinstance(gecko, dict) and isinstance(gecko.get("id"), str):
                return str(gecko["id"])
    return None


def build_xpi(extension_dir: Path) -> Xpi:
    """Zip ``extension_dir`` reproducibly: sorted entries, fixed times, no dotfiles or tests."""
    manifest_path = extension_dir / "manifest.json"
    if not manifest_path.is_file():
        return Xpi(None, problem="xpi_no_manifest")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return Xpi(None, problem="xpi_bad_manifest")
    entries = _xpi_entries(extension_dir)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever OS builds it: the bytes must not depend on it
            info.external_attr = 0o100644 << 16
            archive.writestr(info, path.read_bytes())
    return Xpi(
        buffer.getvalue(), addon_id=_gecko_id(manifest), entries=tuple(n for n, _ in entries)
    )


# --------------------------------------------------------------------------- profiles, sandboxes


def find_profile(name_or_path: str, layout: Layout) -> Path:
    """A Thunderbird profile folder, given as a path or as a name from profiles.ini."""
    given = Path(name_or_path).expanduser()
    if given.is_absolute() and given.is_dir():
        return given
    if given.is_dir() and len(given.parts) > 1:
        return given.resolve()
    known: list[str] = []
    for root in (layout.profiles_root, *layout.extra_profiles_roots):
        ini = root / "profiles.ini"
        if not ini.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(ini.read_text("utf-8", errors="replace"))
        except configparser.Error:
            continue
        for section in parser.sections():
            if not section.startswith("Profile"):
                continue
            name = parser.get(section, "Name", fallback="")
            rel = parser.get(section, "Path", fallback="")
            if not rel:
                continue
            known.append(name)
            relative = parser.get(section, "IsRelative", fallback="1").strip() == "1"
            folder = root / rel if relative else Path(rel)
            if name_or_path in (name, rel, Path(rel).name) and folder.is_dir():
                return folder
    names = ", ".join(sorted(set(known))) or "-"
    raise InstallError(f"no Thunderbird profile {name_or_path!r} (known: {names})")


def detect_sandboxes(ctx: Context) -> list[str]:
    """Codes for sandboxed Thunderbird builds that change how native messaging works."""
    layout = ctx.layout
    if layout.platform != "linux":
        return []
    found = []
    if (ctx.home / ".var" / "app" / FLATPAK_APP).is_dir() or ctx.flatpak_info():
        found.append("flatpak_detected")
    if (ctx.fs_root / "snap" / "bin" / "thunderbird").exists() or (
        ctx.home / "snap" / "thunderbird"
    ).is_dir():
        found.append("snap_detected")
    return found


# --------------------------------------------------------------------------- state


@dataclass
class State:
    """What ``install`` wrote, so that ``uninstall`` removes exactly that."""

    platform: str
    python: str
    launcher: str
    manifests: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    registry: dict[str, str] = field(default_factory=dict)
    xpi: str | None = None
    profile_xpis: list[str] = field(default_factory=list)
    venv: str | None = None

    def to_json(self) -> str:
        data = {"format": STATE_FORMAT, **self.__dict__}
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _str_list(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def load_state(path: Path) -> State | None:
    """The install record, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        return None
    registry = data.get("registry")
    xpi, venv = data.get("xpi"), data.get("venv")
    return State(
        platform=str(data.get("platform", "")),
        python=str(data.get("python", "")),
        launcher=str(data.get("launcher", "")),
        manifests=_str_list(data.get("manifests")),
        files=_str_list(data.get("files")),
        dirs=_str_list(data.get("dirs")),
        registry={str(k): str(v) for k, v in registry.items()}
        if isinstance(registry, dict)
        else {},
        xpi=xpi if isinstance(xpi, str) else None,
        profile_xpis=_str_list(data.get("profile_xpis")),
        venv=venv if isinstance(venv, str) else None,
    )


# --------------------------------------------------------------------------- install


def _missing_ancestors(path: Path) -> list[Path]:
    missing = []
    for folder in [path, *path.parents]:
        if folder.exists():
            break
        missing.append(folder)
    return missing


# Fixed modes, whatever the umask (under umask 000 another local user could otherwise replace
# the launcher Thunderbird runs). Folders are private; files readable; the launcher executable.
DIR_MODE = 0o700
FILE_MODE = 0o644
EXEC_MODE = 0o755
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, where links need privileges


def _make_dir(folder: Path) -> None:
    """Create one folder with ``DIR_MODE`` exactly (``mkdir`` never follows a link there)."""
    try:
        os.mkdir(folder, DIR_MODE)
    except FileExistsError:
        return  # someone made it meanwhile: not ours to re-mode
    os.chmod(folder, DIR_MODE)  # the umask may have taken bits from the mode given to mkdir


def _write_if_changed(path: Path, data: bytes, mode: int = FILE_MODE) -> bool:
    """Write atomically unless the file already holds these bytes (keeps reruns a no-op).

    The temporary file has a random name and is created exclusively without following links
    (``O_EXCL|O_NOFOLLOW``): a link planted at a predictable temporary path cannot redirect
    the write. ``os.replace`` swaps in the new file, replacing a link at ``path`` rather than
    writing through it. The mode is set explicitly, whatever the umask.
    """
    import secrets
    import stat

    try:
        st = os.lstat(path)
    except OSError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        try:
            same = path.read_bytes() == data
        except OSError:
            same = False
        if same:
            if stat.S_IMODE(st.st_mode) != mode:
                os.chmod(path, mode)
            return False
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.minuku-tmp")
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def find_source(explicit: Path | None, cwd: Path) -> Path | None:
    """The Minuku checkout holding ``manifest/`` and ``extension/``, if any can be found."""
    if explicit is not None:
        if (explicit / MANIFEST_TEMPLATE).is_file() or (explicit / "extension").is_dir():
            return explicit.resolve()
        raise InstallError(f"{explicit} is not a Minuku checkout (no manifest/ or extension/)")
    # Guessing needs our own template, so an unrelated project's extension/ is never packed.
    # An editable install sits in the checkout; a regular one (in site-packages) finds nothing.
    for candidate in (cwd, Path(__file__).resolve().parents[2]):
        if (candidate / MANIFEST_TEMPLATE).is_file():
            return candidate.resolve()
    return None


@dataclass(frozen=True)
class InstallReport:
    layout: Layout
    written: tuple[Path, ...]
    xpi: Path | None
    profile_xpi: Path | None
    notes: tuple[str, ...]
    """Codes of things the user must know (sandboxed Thunderbird, xpi not built, ...)."""


def install(
    ctx: Context,
    *,
    python: Path,
    source: Path | None,
    profile: str | None = None,
    out: Out = print,
    text: Text = Text(),
) -> InstallReport:
    """Write launcher, manifest(s), registry value, xpi; record them; tell the user what's next."""
    layout = ctx.layout
    if not python.is_absolute():
        raise InstallError(text("err_python_relative", python=python))
    if not python.exists():
        raise InstallError(text("err_python_missing", python=python))
    if layout.platform == WIN32 and ctx.registry is None:
        raise InstallError("no registry writer for Windows")
    notes: list[str] = []
    for code in detect_sandboxes(ctx):
        notes.append(code)
        out(text("warn_" + code))

    template = None
    if source is not None and (source / MANIFEST_TEMPLATE).is_file():
        template = (source / MANIFEST_TEMPLATE).read_text("utf-8")
    manifest_text = render_manifest(layout.launcher, template).encode("utf-8")
    plan: list[tuple[Path, bytes]] = [
        (layout.launcher, render_launcher(layout.platform, python).encode("utf-8"))
    ]
    plan += [(m, manifest_text) for m in layout.manifests]

    xpi_path: Path | None = None
    if source is None:
        notes.append("xpi_no_source")
        out(text("xpi_no_source"))
        xpi = Xpi(None, problem="xpi_no_source")
    else:
        xpi = build_xpi(source / "extension")
        if xpi.data is None:
            notes.append(xpi.problem or "xpi_no_manifest")
            out(text(xpi.problem or "xpi_no_manifest", path=source / "extension"))
        else:
            xpi_path = source / "dist" / XPI_NAME
            plan.append((xpi_path, xpi.data))
            if xpi.addon_id != ADDON_ID:
                notes.append("xpi_wrong_id")
                out(text("xpi_wrong_id", found=xpi.addon_id, expected=ADDON_ID))
    profile_xpi: Path | None = None
    if profile is not None:
        if xpi.data is None:
            raise InstallError(text("err_profile_without_xpi"))
        profile_dir = find_profile(profile, layout)
        profile_xpi = profile_dir / "extensions" / PROFILE_XPI_NAME
        plan.append((profile_xpi, xpi.data))

    previous = load_state(layout.state_file)
    created: set[Path] = set()
    for path in [p for p, _ in plan] + [layout.state_file]:
        created.update(_missing_ancestors(path.parent))
    for folder in sorted(created, key=lambda p: len(p.parts)):
        _make_dir(folder)
    written = []
    for path, data in plan:
        executable = path == layout.launcher and layout.platform != WIN32
        if _write_if_changed(path, data, EXEC_MODE if executable else FILE_MODE):
            written.append(path)
    registry: dict[str, str] = {}
    if layout.registry_key is not None and ctx.registry is not None:
        value = str(layout.manifests[0])
        if ctx.registry.get_default(layout.registry_key) != value:
            ctx.registry.set_default(layout.registry_key, value)
        registry[layout.registry_key] = value

    def merged(new: Iterable[Path | str], old: list[str] | None) -> list[str]:
        return sorted({str(p) for p in new} | set(old or []))

    venv_owned = layout.venv_dir in python.parents
    state = State(
        platform=layout.platform,
        python=str(python),
        launcher=str(layout.launcher),
        manifests=[str(m) for m in layout.manifests],
        files=merged((p for p, _ in plan), previous.files if previous else None),
        dirs=merged(created, previous.dirs if previous else None),
        registry={**(previous.registry if previous else {}), **registry},
        xpi=str(xpi_path) if xpi_path else (previous.xpi if previous else None),
        profile_xpis=merged(
            [profile_xpi] if profile_xpi else [], previous.profile_xpis if previous else None
        ),
        venv=str(layout.venv_dir) if venv_owned else (previous.venv if previous else None),
    )
    _write_if_changed(layout.state_file, state.to_json().encode("utf-8"))

    out(text("installed_launcher", path=layout.launcher))
    for manifest in layout.manifests:
        out(text("installed_manifest", path=manifest))
    if layout.registry_key:
        out(
            text(
                "installed_registry", key="HKCU\\" + layout.registry_key, value=layout.manifests[0]
            )
        )
    if xpi_path is not None:
        out(text("installed_xpi", path=xpi_path, count=len(xpi.entries)))
    if profile_xpi is not None:
        out(text("installed_profile_xpi", path=profile_xpi))
        out(text("next_profile"))
    elif xpi_path is not None:
        out(text("next_addon", path=xpi_path))
    out(text("next_doctor"))
    return InstallReport(layout, tuple(written), xpi_path, profile_xpi, tuple(notes))


# --------------------------------------------------------------------------- uninstall


def _ours(path: Path, layout: Layout) -> bool:
    """Guard against a damaged record: only files with names we write are ever removed."""
    names = {layout.launcher.name, f"{HOST_NAME}.json", XPI_NAME, PROFILE_XPI_NAME}
    return path.name in names and path.is_absolute()


def uninstall(
    ctx: Context, *, keep_venv: bool = False, out: Out = print, text: Text = Text()
) -> int:
    """Remove what the install record lists (files, folders we created, registry key, venv)."""
    layout = ctx.layout
    state = load_state(layout.state_file)
    if state is None:
        if layout.state_file.exists():
            out(text("uninstall_bad_state", path=layout.state_file))
            return 1
        out(text("uninstall_nothing", path=layout.state_file))
        return 0
    status = 0
    for name in state.files:
        path = Path(name)
        if not _ours(path, layout):
            out(text("uninstall_skipped", path=path))
            continue
        try:
            path.unlink(missing_ok=True)
            out(text("uninstall_removed", path=path))
        except OSError as exc:
            out(text("uninstall_failed", path=path, error=exc))
            status = 1
    for key, value in state.registry.items():
        if ctx.registry is None:
            continue
        current = ctx.registry.get_default(key)
        if current == value:
            ctx.registry.delete(key)
            out(text("uninstall_removed", path="HKCU\\" + key))
        elif current is not None:
            out(text("uninstall_registry_changed", key="HKCU\\" + key, value=current))
    if state.venv and not keep_venv and Path(state.venv) == layout.venv_dir:
        shutil.rmtree(layout.venv_dir, ignore_errors=True)
        if layout.venv_dir.exists():
            out(text("uninstall_failed", path=layout.venv_dir, error="in use"))
            status = 1
        else:
            out(text("uninstall_removed", path=layout.venv_dir))
    layout.state_file.unlink(missing_ok=True)
    # Deepest first, and only when empty: a folder that now holds the user's files stays.
    folders = {Path(d) for d in state.dirs} | {layout.data_dir}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass
    out(text("uninstall_done"))
    return status


# --------------------------------------------------------------------------- doctor


def encode_frame(message: Mapping[str, object]) -> bytes:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return struct.pack("<I", len(data)) + data


def decode_frame(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """The first frame in ``data`` as a JSON object, else None and the reason."""
    if len(data) < 4:
        return None, "no reply"
    (length,) = struct.unpack("<I", data[:4])
    if length > MAX_FRAME:
        return None, f"frame length {length} exceeds 1 MB"
    body = data[4 : 4 + length]
    if len(body) < length:
        return None, f"truncated frame ({len(body)} of {length} bytes)"
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "reply is not UTF-8 JSON"
    if not isinstance(message, dict):
        return None, "reply is not a JSON object"
    return message, ""


@dataclass(frozen=True)
class PingOutcome:
    ok: bool
    detail: str


PING = {"type": "ping", "protocol_version": 1, "id": "doctor"}


def ping_host(argv: Sequence[str], cwd: Path, timeout: float) -> PingOutcome:
    """Start the host as Thunderbird would, send one ping frame, expect a pong frame back."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        return PingOutcome(False, f"cannot start {argv[0]}: {exc}")
    timed_out = False
    try:
        stdout, stderr = proc.communicate(encode_frame(PING), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        stdout, stderr = proc.communicate()
    reply, reason = decode_frame(stdout)
    if reply is not None and reply.get("type") == "pong":
        detail = "pong"
        if "protocol_version" in reply:
            detail += f" (protocol {reply['protocol_version']})"
        if timed_out:
            detail += "; the host did not exit when stdin closed"
        return PingOutcome(True, detail)
    if reply is not None:
        reason = f"unexpected reply type {reply.get('type')!r}"
    elif timed_out and not stdout:
        reason = f"no reply within {timeout:g} s"
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    tail = f"; stderr: {lines[-1][:200]}" if lines else ""
    exit_note = "" if timed_out else f"; exit code {proc.returncode}"
    return PingOutcome(False, reason + exit_note + tail)


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    subject: str
    detail: str = ""
    warn: bool = False

    @property
    def failed(self) -> bool:
        return not self.ok and not self.warn


Pinger = Callable[[Sequence[str], Path, float], PingOutcome]


def _check_manifest(path: Path, launcher: Path) -> Check:
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        return Check("manifest_missing", False, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        return Check("manifest_invalid_json", False, str(path), str(exc))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Check("manifest_invalid_json", False, str(path), str(exc))
    problems = manifest_problems(data, launcher)
    if problems:
        detail = ""
        if "manifest_wrong_extensions" in problems and isinstance(data, dict):
            detail = json.dumps(data.get("allowed_extensions"))
        elif "manifest_wrong_path" in problems and isinstance(data, dict):
            detail = str(data.get("path"))
        return Check(problems[0], False, str(path), detail)
    return Check("manifest_ok", True, str(path))


def doctor(
    ctx: Context,
    *,
    ping: Pinger = ping_host,
    timeout: float = 10.0,
    out: Out = print,
    text: Text = Text(),
) -> list[Check]:
    """Check every installed piece; print one line per check with OK/FAIL and what to do."""
    layout = ctx.layout
    checks: list[Check] = []
    state = load_state(layout.state_file)
    if state is None:
        checks.append(Check("state_missing", False, str(layout.state_file)))
    else:
        checks.append(Check("state_ok", True, str(layout.state_file)))

    launcher = layout.launcher
    python: Path | None = None
    launcher_ok = False
    try:
        python = launcher_target(layout.platform, launcher.read_text("utf-8", errors="replace"))
    except FileNotFoundError:
        checks.append(Check("launcher_missing", False, str(launcher)))
    except OSError as exc:
        checks.append(Check("launcher_missing", False, str(launcher), str(exc)))
    else:
        if python is None:
            checks.append(Check("launcher_bad_target", False, str(launcher)))
        elif layout.platform != WIN32 and not launcher.stat().st_mode & 0o111:
            checks.append(Check("launcher_not_executable", False, str(launcher)))
        else:
            launcher_ok = True
            checks.append(Check("launcher_ok", True, str(launcher)))
    if python is None and state is not None and state.python:
        python = Path(state.python)
    if python is None:
        checks.append(Check("python_unknown", False, "python"))
    elif python.is_file():
        checks.append(Check("python_ok", True, str(python)))
    else:
        checks.append(Check("python_missing", False, str(python)))
        launcher_ok = False

    for manifest in layout.manifests:
        checks.append(_check_manifest(manifest, launcher))

    if layout.registry_key is not None:
        key = "HKCU\\" + layout.registry_key
        value = ctx.registry.get_default(layout.registry_key) if ctx.registry else None
        if value is None:
            checks.append(Check("registry_missing", False, key))
        elif Path(value) != layout.manifests[0]:
            checks.append(Check("registry_wrong_value", False, key, value))
        else:
            checks.append(Check("registry_ok", True, key, value))

    if launcher_ok:
        outcome = ping(
            [str(launcher), str(layout.manifests[0]), ADDON_ID], launcher.parent, timeout
        )
        code = "ping_ok" if outcome.ok else "ping_failed"
        checks.append(Check(code, outcome.ok, str(launcher), outcome.detail))
    else:
        checks.append(Check("ping_skipped", False, str(launcher)))

    xpi = Path(state.xpi) if state is not None and state.xpi else None
    if xpi is None:
        checks.append(Check("xpi_missing", False, XPI_NAME))
    else:
        checks.append(_check_xpi(xpi))

    for code in detect_sandboxes(ctx):
        checks.append(Check(code, False, "thunderbird", warn=True))

    for check in checks:
        mark = "OK  " if check.ok else ("WARN" if check.warn else "FAIL")
        line = f"{mark} {text('check_' + check.code, path=check.subject)}"
        if check.detail:
            line += f" ({check.detail})"
        if not check.ok:
            line += " → " + text("fix_" + check.code)
        out(line)
    return checks


def _check_xpi(xpi: Path) -> Check:
    try:
        with zipfile.ZipFile(xpi) as archive:
            manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
    except FileNotFoundError:
        return Check("xpi_missing", False, str(xpi))
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as e:
        return Check("xpi_invalid", False, str(xpi), str(e))
    found = _gecko_id(manifest)
    if found != ADDON_ID:
        return Check("xpi_invalid", False, str(xpi), f"gecko id {found!r}")
    return Check("xpi_ok", True, str(xpi))


# --------------------------------------------------------------------------- CLI


def _text_for(args: argparse.Namespace, ctx: Context) -> Text:
    lang = getattr(args, "lang", None) or default_lang(ctx.env)
    return Text(lang)


def _cmd_install(args: argparse.Namespace) -> int:
    ctx = Context.current()
    text = _text_for(args, ctx)
    try:
        python = Path(args.python) if args.python else Path(sys.executable)
        source_arg = Path(args.source).resolve() if args.source else None
        source = find_source(source_arg, Path.cwd())
        install(ctx, python=python.absolute(), source=source, profile=args.profile, text=text)
    except (InstallError, UnsupportedPlatform, OSError) as exc:
        print(text("install_failed", error=exc), file=sys.stderr)
        return 1
    return 0


def _cmd_uninstall(args: argparse.Namespace) -> int:
    ctx = Context.current()
    try:
        return uninstall(ctx, keep_venv=args.keep_venv, text=_text_for(args, ctx))
    except (UnsupportedPlatform, OSError) as exc:
        print(f"uninstall failed: {exc}", file=sys.stderr)
        return 1


def _cmd_doctor(args: argparse.Namespace) -> int:
    ctx = Context.current()
    try:
        checks = doctor(ctx, timeout=args.timeout, text=_text_for(args, ctx))
    except (UnsupportedPlatform, OSError) as exc:
        print(f"doctor failed: {exc}", file=sys.stderr)
        return 1
    return 1 if any(c.failed for c in checks) else 0


def add_subcommands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``install``, ``uninstall`` and ``doctor``; each sets ``func(args) -> exit code``."""
    lang = {"choices": ["en", "ja"], "default": None, "help": "language of messages (en, ja)"}

    p = subparsers.add_parser("install", help="register the native host with Thunderbird")
    p.add_argument("--profile", help="also copy the add-on into this Thunderbird profile")
    p.add_argument("--source", help="the Minuku checkout (holds manifest/ and extension/)")
    p.add_argument("--python", help="python the launcher runs (default: this one)")
    p.add_argument("--lang", **lang)  # type: ignore[arg-type]
    p.set_defaults(func=_cmd_install)

    p = subparsers.add_parser("uninstall", help="remove exactly what `minuku install` wrote")
    p.add_argument("--keep-venv", action="store_true", help="keep the host's venv")
    p.add_argument("--lang", **lang)  # type: ignore[arg-type]
    p.set_defaults(func=_cmd_uninstall)

    p = subparsers.add_parser("doctor", help="check the installation, one line per piece")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the ping")
    p.add_argument("--lang", **lang)  # type: ignore[arg-type]
    p.set_defaults(func=_cmd_doctor)
