"""The data folder is private: it holds members' names, birth years and statements (the
database), the node's signing keys and perhaps a database password (node.toml).

`hourbridge init` makes the folder 0700 and every file in it 0600 whatever the caller's umask
(node.toml in `save_config`, the key in node/keys.py, the database here). `serve` runs with
umask 077, so whatever it creates is private too, and SQLite gives its -wal and -shm files the
database file's own mode. `serve` warns about (but still runs with) anything private that other
users may read: an operator may have copied a backup or a config in with a looser mode.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from node.config import CONFIG_FILE, NodeConfig
from node.errors import ConfigError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SERVE_UMASK = 0o077
# Whatever of these is in the folder (or its keys/ folder) holds secrets or personal data:
# keys (the visit-code key is `visit-codes.key`), the database with its journal files and any
# copy of it (backups).
PRIVATE_PATTERNS = ("*.pem", "*.key", "*.db", "*.db-wal", "*.db-shm", "*.db-journal",
                    "*.sqlite*")


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) if missing; the folder itself ends at mode 0700."""
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode passes through the umask; an old folder too
    except OSError as exc:
        raise ConfigError(f"cannot make the data folder {path} private (mode 0700): {exc}") \
            from exc


def create_private_file(path: Path) -> None:
    """An empty file of mode 0600 where none exists yet: SQLite then opens it as a new database
    (and gives its -wal and -shm files the same mode) instead of creating it 0644."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def sqlite_file(config: NodeConfig) -> Path | None:
    url = config.resolved_database_url()
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix or ":memory:" in url:
        return None
    return Path(url.removeprefix(prefix).split("?", 1)[0])


def _private_paths(config: NodeConfig) -> list[Path]:
    folder = config.data_path
    found = [folder, folder / CONFIG_FILE, config.key_path]
    # The notification channels' secrets (docs/notifications.md), wherever the config puts them.
    found += [folder / name for name in (config.notify_webhook_secret_file,
                                         config.notify_smtp_password_file) if name]
    for place in (folder, folder / "keys"):
        found += [p for pattern in PRIVATE_PATTERNS for p in sorted(place.glob(pattern))]
    database = sqlite_file(config)
    if database is not None:
        found += [database.with_name(database.name + suffix)
                  for suffix in ("", "-wal", "-shm", "-journal")]
    if (folder / "keys").is_dir():
        found.append(folder / "keys")
    unique = dict.fromkeys(p.absolute() for p in found)
    return [p for p in unique if p.exists()]


def loose_modes(config: NodeConfig) -> list[str]:
    """Each private folder or file that other users may read, as `path (mode 0644)`."""
    loose = []
    for path in _private_paths(config):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:  # SQLite removed its -wal or -shm meanwhile
            continue
        if mode & 0o077:
            loose.append(f"{path} (mode {mode:04o})")
    return loose


def loose_modes_warning(config: NodeConfig) -> str | None:
    """One message an operator can act on, or None when everything is private."""
    loose = loose_modes(config)
    if not loose:
        return None
    return (f"these hold members' personal data, keys or a database password but other users "
            f"may read them: {'; '.join(loose)}. Fix: chmod 700 on the folders and chmod 600 "
            f"on the files (e.g. chmod -R go-rwx {config.data_path})")


def make_key_file(path: Path, key_bytes: int) -> None:
    """A new random key of `key_bytes` in hex at `path`, mode 0600, linked into place so that
    two processes racing to make it both use the one linked first."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(key_bytes) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_key_file(path: Path, key_bytes: int, *, what: str, advice: str) -> bytes:
    """The key at `path`; a ConfigError naming the file (`what` it is, `advice` on what to do)
    when it is not `key_bytes` in hex: never silently replaced."""
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != key_bytes:
        raise ConfigError(f"{path} is not {what} ({key_bytes * 2} hex digits); {advice}")
    return key
