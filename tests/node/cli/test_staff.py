"""`hourbridge staff create-admin`: the first admin login, its password from standard input
(or a hidden prompt), never from the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from node.access import Role
from node.cli.main import app
from node.config import load_config
from node.runtime import open_node
from tests.node.cli.directory_support import CLEAN_ENV, hb

PASSWORD = "ferry-Lantern-42"


def test_create_admin_reads_the_password_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "node"
    hb("init", "--node-id", "sh-pudong", "--region", "310115", "--url",
       "http://127.0.0.1:9", "--data", data)
    runner = CliRunner()
    made = runner.invoke(app, ["staff", "create-admin", "--username", "boss", "--data",
                               str(data), "--password-stdin"], input=f"{PASSWORD}\n",
                         env=CLEAN_ENV)
    assert made.exit_code == 0, made.output
    assert PASSWORD not in made.output
    weak = runner.invoke(app, ["staff", "create-admin", "--username", "boss2", "--data",
                               str(data), "--password-stdin"], input="12345678\n", env=CLEAN_ENV)
    assert weak.exit_code == 1 and "password_too_weak" in weak.output
    node = open_node(load_config(data))
    try:
        signed = node.staff_sign_in.sign_in(username="boss", password=PASSWORD, client="cli")
    finally:
        node.close()
    assert signed.principal.role == Role.ADMIN
