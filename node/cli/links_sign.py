"""`hourbridge directory link-map sign`: the federation authority signs a link map (§22, draft).

The operator writes the body by hand, `{"hops_max": 2, "links": [{"a": ..., "b": ...,
"a_cap_minutes": ..., "b_cap_minutes": ...}, ...]}` (links sorted by `a` then `b`, `a` before
`b`); the command completes it into the next serial of the federation of the last signed
directory, signs it with the authority key, checks it as a node holding that directory would,
and writes `links-<serial>.json` and `links.json` into the authority folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from node.cli.authority import DOCUMENT_BYTES_MAX, AuthorityFolder, atomic_write_json, problem
from node.cli.output import out
from node.clock import SystemClock
from node.errors import ConfigError
from node.keys import passphrase_from_env
from protocol.errors import ProtocolError
from protocol.links import sign_links

link_map_sign_app = typer.Typer(
    help="Federation authority: sign and publish the link map (§22, draft).",
    no_args_is_help=True,
)


def _body(path: Path) -> dict[str, object]:
    if not path.is_file() or path.stat().st_size > DOCUMENT_BYTES_MAX:
        raise ConfigError(f"{path}: no such file, or larger than {DOCUMENT_BYTES_MAX} bytes")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ConfigError(f"{path} must hold an object with hops_max and links")
    return body


@link_map_sign_app.command("sign")
def sign(
    body_file: Annotated[Path, typer.Argument(help="the link map's body: hops_max and links")],
    authority: Annotated[Path, typer.Option(
        "--authority", envvar="HOURBRIDGE_AUTHORITY", help="the authority's folder")],
    publish: Annotated[Path | None, typer.Option(
        help="also write the signed map here (a file)")] = None,
) -> None:
    """Sign the body as the next link map serial, against the last signed directory."""
    folder = AuthorityFolder(authority)
    directory = folder.load_current()
    if directory is None:
        raise ConfigError("sign a directory first: a link map is checked against it")
    body = _body(body_file)
    previous = folder.load_links()
    now_ms = SystemClock().now_ms()
    if previous is not None and now_ms < previous.issued_at_ms:
        raise ConfigError("the clock is behind the last signed link map; nodes would refuse it")
    serial = 1 if previous is None else previous.serial + 1
    key = folder.load_key(passphrase_from_env())
    try:
        signed = sign_links(body, authority=key, directory=directory, serial=serial,
                            issued_at_ms=now_ms)
    except ProtocolError as exc:
        raise ConfigError(f"cannot sign: {problem(exc)}") from exc
    history = folder.store_links(signed)
    out.print(f"signed link map serial {serial} ({len(signed['links'])} links, hops_max "
              f"{signed['hops_max']}): {history}")
    if publish is not None:
        atomic_write_json(publish, signed)
        out.print(f"published to {publish}")
