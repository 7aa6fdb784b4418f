"""Where Minuku's installed pieces live on each OS: pure path arithmetic, no I/O.

Owns the per-platform layout used by ``minuku install`` / ``uninstall`` / ``doctor``: the data
folder (which holds the host's venv, its launcher and the install record), the places where
Thunderbird looks for a native-messaging host manifest, the Windows registry key, and the
Thunderbird profiles root. Everything is computed from an injected home folder, platform name and
environment, so all three layouts can be tested on any machine.

Sources: Mozilla's native-manifest lookup (``NativeManifests.sys.mjs``, checked on Thunderbird
153: Linux reads ``~/.mozilla/native-messaging-hosts``, not ``~/.thunderbird``), the XDG Base
Directory spec for ``XDG_DATA_HOME``. Deviation: on macOS the manifest is written to both the
Thunderbird (``~/Library/Mozilla``) and the Firefox (``~/Library/Application Support/Mozilla``)
folders, because Thunderbird builds have used both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOST_NAME = "minuku"
ADDON_ID = "minuku@addons.minuku"
REGISTRY_KEY = r"Software\Mozilla\NativeMessagingHosts" + "\\" + HOST_NAME
"""Relative to HKEY_CURRENT_USER; the key's default value is the manifest's absolute path."""

LINUX = "linux"
DARWIN = "darwin"
WIN32 = "win32"


class UnsupportedPlatform(ValueError):
    """The platform has no known native-messaging layout."""


def normalize_platform(name: str) -> str:
    """Map a ``sys.platform`` value to one of the three layouts.

    The BSDs use Firefox's XDG-style ``~/.mozilla`` lookup, so they share the Linux layout.
    """
    if name.startswith(("linux", "freebsd", "openbsd", "netbsd", "dragonfly")):
        return LINUX
    if name == DARWIN:
        return DARWIN
    if name in (WIN32, "cygwin"):
        return WIN32
    raise UnsupportedPlatform(f"unsupported platform: {name!r}")


@dataclass(frozen=True)
class Layout:
    platform: str
    home: Path
    data_dir: Path
    venv_dir: Path
    venv_python: Path
    launcher: Path
    manifests: tuple[Path, ...]
    """Every place the host manifest is written to (Windows: one file, found via the registry)."""
    registry_key: str | None
    state_file: Path
    profiles_root: Path
    """Folder holding Thunderbird's profiles.ini."""
    extra_profiles_roots: tuple[Path, ...] = ()
    """Sandboxed Thunderbird builds keep their profiles elsewhere (Snap, Flatpak)."""


def _env_dir(env: Mapping[str, str], name: str, default: Path) -> Path:
    """An absolute folder from the environment, else ``default`` (XDG: relative values are ignored)."""
    value = env.get(name, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return default


def layout_for(platform: str, home: Path, env: Mapping[str, str]) -> Layout:
    """The layout for ``platform`` (a ``sys.platform`` value) under ``home``."""
    plat = normalize_platform(platform)
    if plat == LINUX:
        data = _env_dir(env, "XDG_DATA_HOME", home / ".local" / "share") / "minuku"
        venv = data / "venv"
        return Layout(
            platform=plat,
            home=home,
            data_dir=data,
            venv_dir=venv,
            venv_python=venv / "bin" / "python",
            launcher=data / "minuku-host",
            manifests=(home / ".mozilla" / "native-messaging-hosts" / f"{HOST_NAME}.json",),
            registry_key=None,
            state_file=data / "installed.json",
            profiles_root=home / ".thunderbird",
            extra_profiles_roots=(
                home / "snap" / "thunderbird" / "common" / ".thunderbird",
                home / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird",
            ),
        )
    if plat == DARWIN:
        lib = home / "Library"
        data = lib / "Application Support" / "Minuku"
        venv = data / "venv"
        return Layout(
            platform=plat,
            home=home,
            data_dir=data,
            venv_dir=venv,
            venv_python=venv / "bin" / "python",
            launcher=data / "minuku-host",
            manifests=(
                lib / "Mozilla" / "NativeMessagingHosts" / f"{HOST_NAME}.json",
                lib
                / "Application Support"
                / "Mozilla"
                / "NativeMessagingHosts"
                / f"{HOST_NAME}.json",
            ),
            registry_key=None,
            state_file=data / "installed.json",
            profiles_root=lib / "Thunderbird",
        )
    local = _env_dir(env, "LOCALAPPDATA", home / "AppData" / "Local")
    roaming = _env_dir(env, "APPDATA", home / "AppData" / "Roaming")
    data = local / "Minuku"
    venv = data / "venv"
    return Layout(
        platform=plat,
        home=home,
        data_dir=data,
        venv_dir=venv,
        venv_python=venv / "Scripts" / "python.exe",
        launcher=data / "minuku-host.bat",
        manifests=(data / f"{HOST_NAME}.json",),
        registry_key=REGISTRY_KEY,
        state_file=data / "installed.json",
        profiles_root=roaming / "Thunderbird",
    )
