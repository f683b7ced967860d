"""`hourbridge verify-certificate FILE --directory FILE [--anchor KEY]`: check a
volunteer-service certificate offline (docs/records.md, "Volunteer-service certificates").

Exit codes: 0 verified; 1 the certificate does not verify (every reason printed); 2 a usage
error (an unreadable directory, a bad anchor), as verify-report and verify-import-receipt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from node.certificates.verify import CertificateInvalid, verify_certificate
from node.cli.output import err, out
from node.cli.reports import AnchorOpt, DirectoryOpt, _directory


def verify_certificate_cmd(
    file: Annotated[Path, typer.Argument(help="the certificate (.json)")],
    directory_file: DirectoryOpt,
    anchor: AnchorOpt = None,
) -> None:
    """Verify a volunteer-service certificate offline: its figures and its signature by the
    issuing node, with a key the directory lists valid when it was issued."""
    _, directory = _directory(directory_file, anchor)
    try:
        verified = verify_certificate(file, directory=directory)
    except CertificateInvalid as exc:
        err.print(f"[red]NOT VERIFIED[/] {exc.path}:", highlight=False)
        for problem in exc.problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1) from exc
    out.print(f"verified: {verified.summary}; document SHA-256 {verified.sha256}",
              highlight=False, markup=False)
    if not anchor:
        keys = ", ".join(key.key_id for key in directory.authority_keys)
        err.print(f"warning: the directory was checked against its own authority key ({keys}), "
                  "not a pinned one: compare it with the authority's published key, or pass "
                  "--anchor", highlight=False, markup=False)
