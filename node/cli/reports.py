"""Regulator reports from the command line (docs/reports.md).

    hourbridge report node --data DIR --out DIR
    hourbridge report federation --directory FILE --tokens FILE --out DIR --authority DIR
                                 [--node ID=TOKEN ...]
    hourbridge verify-report FILE --directory FILE [--anchor KEY]

verify-report exits 0 with a one-line summary; 1 when the report cannot be verified (each
problem on its own line), including when the directory given does not verify (not signed by a
pinned --anchor, or not a valid directory): nothing it says can be trusted; 2 on a usage error
only (no such directory file, an --anchor that is not a key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from node.cli.authority import LINKS_FILE, AuthorityFolder
from node.cli.output import err, out
from node.config import load_config
from node.errors import ConfigError
from node.federation import parse_anchor
from node.keys import passphrase_from_env
from node.reports.evidence import load_directory
from node.reports.verify import ReportInvalid, verify_report
from protocol.directory import Directory
from protocol.errors import ProtocolError
from protocol.links import accept_links
from protocol.signing import SigningKey
from protocol.wire import parse_object

report_app = typer.Typer(help="Signed reports for regulators (JSON, CSV, HTML).",
                         no_args_is_help=True)
FILE_BYTES_MAX = 16 * 1024 * 1024

OutOpt = Annotated[Path, typer.Option("--out", help="folder for report.json/.csv/.html")]
DirectoryOpt = Annotated[Path, typer.Option("--directory", help="the signed directory (JSON)")]
AnchorOpt = Annotated[list[str] | None, typer.Option(
    "--anchor", help="pinned authority key `ed25519:…=<key>`; default: the directory's own")]


def _read_object(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{what} {path} not found")
    try:
        return parse_object(path.read_bytes(), bytes_max=FILE_BYTES_MAX)
    except ProtocolError as exc:
        raise ConfigError(f"{what} {path}: {exc.detail}") from exc


def _directory(path: Path, anchors: list[str] | None) -> tuple[dict[str, Any], Directory]:
    document = _read_object(path, "directory")
    try:
        return document, load_directory(document,
                                        anchors=[parse_anchor(a) for a in anchors or []])
    except ProtocolError as exc:
        raise ConfigError(f"directory {path} does not verify: {exc.code.value}: "
                          f"{exc.detail}") from exc


def _tokens(path: Path | None, pairs: list[str]) -> dict[str, str]:
    """Regulator tokens by node id: a JSON object file, then `ID=TOKEN` options over it."""
    tokens: dict[str, str] = {}
    if path is not None:
        tokens.update({str(k): str(v) for k, v in _read_object(path, "tokens").items()})
    for pair in pairs:
        node_id, sep, token = pair.partition("=")
        if not sep or not node_id or not token:
            raise ConfigError(f"--node {pair!r}: expected NODE_ID=TOKEN")
        tokens[node_id] = token
    return tokens


@report_app.command("node")
def report_node(
    data: Annotated[Path, typer.Option("--data", envvar="HOURBRIDGE_DATA",
                                       help="the node's data folder")],
    out_dir: OutOpt,
) -> None:
    """This node's report, signed with its key, at one ledger height (a fresh checkpoint)."""
    from node.reports import node_report  # the whole node: only this command needs it
    from node.runtime import open_node

    node = open_node(load_config(data))
    try:
        path, document = node_report.build(node, out_dir)
    finally:
        node.close()
    out.print(f"node report of {document['node']} at ledger height "
              f"{document['checkpoint']['height']}: {path} (and report.csv, report.html)")


def _authority_key(directory: Directory, authority: Path) -> SigningKey:
    """The federation authority's key: the only signer of a federation report (docs/standard.md
    §19), since which nodes answered, and why not, is its word alone."""
    key = AuthorityFolder(authority).load_key(passphrase_from_env())
    if not any(k.key_id == key.key_id for k in directory.authority_keys):
        raise ConfigError(f"authority key {key.key_id} is not in the directory")
    return key


def _link_map(directory: Directory, authority: Path) -> dict[str, Any] | None:
    """The authority's last signed link map (`links.json` in its folder), which hubs the
    report's settlement figures are for; None (a full mesh) when it has signed none. It must
    hold against the report's directory, as a node would accept it."""
    path = authority / LINKS_FILE
    if not path.exists():
        return None
    document = _read_object(path, "link map")
    try:
        accept_links(document, directory=directory, current=None)
    except ProtocolError as exc:
        raise ConfigError(f"link map {path} is refused against the directory: "
                          f"{exc.code.value}: {exc.detail}") from exc
    return document


@report_app.command("federation")
def report_federation(
    directory_file: DirectoryOpt,
    out_dir: OutOpt,
    authority: Annotated[Path, typer.Option(
        help="the federation authority's folder: its key signs the report")],
    tokens_file: Annotated[Path | None, typer.Option(
        "--tokens", help='JSON file {"node-id": "regulator token", ...}')] = None,
    node: Annotated[list[str] | None, typer.Option(
        "--node", help="NODE_ID=TOKEN, repeatable (over --tokens)")] = None,
    anchor: AnchorOpt = None,
) -> None:
    """Collect every node's signed report, compute net positions, unmatched pairs, the hours
    past each link's last co-signed cut and the settlement figures (at each hub of the
    authority's link map, if it signed one), and write the federation report, signed by the
    federation authority."""
    document, directory = _directory(directory_file, anchor)
    tokens = _tokens(tokens_file, node or [])
    key = _authority_key(directory, authority)
    link_map = _link_map(directory, authority)
    from node.reports import federation  # collects over HTTP: only this command needs it

    path, report = federation.build(directory=document, tokens=tokens, out_dir=out_dir, key=key,
                                    link_map=link_map)
    totals = report["totals"]
    out.print(f"federation report of {report['federation_id']}: {len(report['nodes'])} nodes "
              f"({len(report['node_report_failures'])} not collected), {totals['links']} "
              f"links, {totals['unmatched']} unmatched: {path}")
    settled = report["settlement"]
    mesh = "a full mesh" if link_map is None else (
        f"link map serial {link_map['serial']}, {len(settled['hubs'])} hub(s)")
    out.print(f"settlement ({mesh}): {settled['totals']['gross_minutes']} min of bilateral "
              f"positions, {settled['totals']['multilateral_minutes']} min multilaterally")
    for failure in report["node_report_failures"]:
        err.print(f"  not collected: {failure['node']}: {failure['error']}")


def _trusted_directory(path: Path, anchors: list[str] | None) -> Directory:
    """The directory to verify against. A missing file or an --anchor that is not a key is a
    usage error (ConfigError, exit 2); a file that is not a directory signed by the pinned
    key (or by its own listed key, without --anchor) makes the report unverifiable
    (ReportInvalid, exit 1)."""
    if not path.is_file():
        raise ConfigError(f"directory {path} not found")
    pinned = [parse_anchor(a) for a in anchors or []]
    try:
        return load_directory(parse_object(path.read_bytes(), bytes_max=FILE_BYTES_MAX),
                              anchors=pinned)
    except ProtocolError as exc:
        raise ReportInvalid(path, [f"the directory does not verify, so the report cannot be "
                                   f"trusted: {exc.code.value}: {exc.detail}"]) from exc


def verify_report_cmd(
    file: Annotated[Path, typer.Argument(help="report.json, or the .html/.csv beside it")],
    directory_file: DirectoryOpt,
    anchor: AnchorOpt = None,
) -> None:
    """Verify a report offline: canonical bytes, every signature, every total, the files.
    Exit 0 verified, 1 not verified (the report or the directory), 2 usage."""
    try:
        directory = _trusted_directory(directory_file, anchor)
        verified = verify_report(file, directory=directory)
    except ReportInvalid as exc:
        err.print(f"[red]NOT VERIFIED[/] {exc.path}:", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1) from exc
    out.print(f"verified: {verified.summary}", highlight=False, markup=False)
    if not anchor:
        # Without a pinned key the directory vouches for itself: a forger who made both the
        # directory and the report would pass. Say which key to compare (standard §19).
        keys = ", ".join(key.key_id for key in directory.authority_keys)
        err.print(f"warning: the directory was checked against its own authority key ({keys}), "
                  "not a pinned one: compare it with the authority's published key, or pass "
                  "--anchor", highlight=False, markup=False)
