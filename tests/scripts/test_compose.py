"""docker-compose.yml and the Dockerfile, checked against the real CLI and config.

There is no Docker engine on the build machines, so nothing here starts a container. Instead the
compose file is read the way compose reads it (YAML, merge keys, `${VAR:-default}` and `$$`), each
node's shell command is split into its commands, and every `hourbridge` call in it is parsed by the
real click command behind the typer app; `init` is even run, into a temporary folder. The
environment goes through `node.config.load_config`, the path the node takes at start-up.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml
from typer.testing import CliRunner

from node.cli.main import app
from node.config import ENV_PREFIX, NodeConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
NODES = {"sh-pudong": "310115", "nj-gulou": "320106", "bj-chaoyang": "110105"}
CONTAINER_PORT = 8700
SHELL_BUILTINS = {"test", "exit"}  # the only non-hourbridge commands a node's script may run


def interpolate(value: Any) -> Any:
    """Compose's variable substitution with every variable unset: defaults apply, `$$` is `$`."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        assert match.group("default") is not None, f"{match.group(0)} has no default"
        return match.group("default")

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}", one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return dict(interpolate(loaded))


@pytest.fixture(scope="module")
def cli() -> Any:
    return typer.main.get_command(app)


def known_env_names(cli: Any) -> set[str]:
    """The HOURBRIDGE_* names the node reads: config fields and CLI options' variables."""
    names = {ENV_PREFIX + name.upper() for name in NodeConfig.model_fields if name != "data_dir"}
    stack = [cli]
    while stack:
        command = stack.pop()
        stack += getattr(command, "commands", {}).values()
        names |= {param.envvar for param in command.params if isinstance(param.envvar, str)}
    return names


def shell_commands(script: str, env: dict[str, str]) -> list[list[str]]:
    """The simple commands of a small sh script, split the way sh splits them, `$VAR` expanded."""
    script = script.replace("\\\n", " ").replace("\n", " ; ")
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in {";", "&&", "||", "|"}:
            commands.append([])
            continue
        assert not set(token) & set("()<>&|`"), f"unexpected shell syntax {token!r}"
        commands[-1].append(re.sub(r"\$\{?(\w+)\}?", lambda m: env[m.group(1)], token))
    return [command[1:] if command[:1] == ["exec"] else command for command in commands if command]


def hourbridge_calls(service: dict[str, Any]) -> list[list[str]]:
    assert service["entrypoint"] == ["/bin/sh", "-c"]
    script = service["command"][0] if isinstance(service["command"], list) else service["command"]
    calls = []
    for command in shell_commands(script, service["environment"]):
        if command[0] == "hourbridge":
            calls.append(command[1:])
        else:
            assert command[0] in SHELL_BUILTINS, f"unexpected command {command}"
    return calls


def parse(cli: Any, argv: list[str]) -> tuple[str, dict[str, Any]]:
    """Resolve `argv` to a (sub)command of the real CLI and parse its options there."""
    command, path = cli, list[str]()
    while hasattr(command, "commands"):
        assert argv and argv[0] in command.commands, f"no hourbridge command {path + argv[:1]}"
        path.append(argv[0])
        command, argv = command.commands[argv[0]], argv[1:]
    try:
        context = command.make_context(" ".join(path), list(argv))
    except Exception as exc:  # the CLI's own usage error says what is wrong with the call
        pytest.fail(f"`hourbridge {' '.join(path)} {' '.join(argv)}` is refused: {exc}")
    return " ".join(path), context.params


def host_port(service: dict[str, Any]) -> int:
    (mapping,) = service["ports"]
    host, container = str(mapping).split(":")
    assert int(container) == CONTAINER_PORT
    return int(host)


def test_services_are_three_nodes_each_with_its_own_postgres(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == set(NODES) | {f"{node}-db" for node in NODES}
    for node in NODES:
        assert services[node]["build"] == "."
        assert (ROOT / "Dockerfile").is_file()
        assert re.fullmatch(r"postgres:15(\.\d+)?(-\w+)?", services[f"{node}-db"]["image"])
        assert services[node]["depends_on"] == {f"{node}-db": {"condition": "service_healthy"}}


@pytest.mark.parametrize("node", NODES)
def test_node_command_uses_real_cli_commands_and_options(
    compose: dict[str, Any], cli: Any, node: str
) -> None:
    calls = [parse(cli, argv) for argv in hourbridge_calls(compose["services"][node])]
    assert [name for name, _ in calls] == ["init", "serve"]
    (_, init), (_, serve) = calls
    assert init["node_id"] == node and init["region"] == NODES[node]
    assert init["url"] == f"http://{node}:{CONTAINER_PORT}"
    assert str(init["data"]) == str(serve["data"]) == "/data"
    assert serve["host"] == "0.0.0.0" and serve["port"] == CONTAINER_PORT
    # The database URL (with its password) comes from the environment, never from node.toml.
    assert init["database_url"] == ""
    assert "HOURBRIDGE_DATABASE_URL" in compose["services"][node]["environment"]


@pytest.mark.parametrize("node", NODES)
def test_init_runs_and_the_environment_is_real_config(
    compose: dict[str, Any], cli: Any, node: str, tmp_path: Path
) -> None:
    service = compose["services"][node]
    (init_argv, _) = hourbridge_calls(service)
    argv = list(init_argv)
    argv[argv.index("--data") + 1] = str(tmp_path)
    # Run without the compose environment: SQLite here, as there is no PostgreSQL to reach.
    result = CliRunner().invoke(app, argv, env={"HOURBRIDGE_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    assert "hourbridge-demo" not in (tmp_path / "node.toml").read_text()

    env = service["environment"]
    unknown = set(env) - known_env_names(cli)
    assert not unknown, f"{sorted(unknown)} are neither NodeConfig fields nor CLI variables"
    config = load_config(tmp_path, env=env)
    database = urlsplit(config.resolved_database_url())
    assert database.scheme == "postgresql+psycopg"
    assert database.hostname == f"{node}-db" and database.port == 5432

    postgres = compose["services"][f"{node}-db"]["environment"]
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == postgres["POSTGRES_PASSWORD"]
    assert database.path == f"/{postgres['POSTGRES_DB']}"


def test_volumes_are_named_declared_and_never_shared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used: list[str] = []
    for name, service in compose["services"].items():
        mounts = dict(str(volume).split(":", 1) for volume in service["volumes"])
        target = "/var/lib/postgresql/data" if name.endswith("-db") else "/data"
        assert list(mounts.values()) == [target], f"{name} mounts {mounts}"
        used += mounts
    assert len(used) == len(set(used)), "two services share a volume"
    assert set(used) == declared


def test_host_ports_are_distinct_and_only_nodes_publish(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ports = [host_port(services[node]) for node in NODES]
    assert len(set(ports)) == len(ports)
    assert all("ports" not in services[f"{node}-db"] for node in NODES)


def test_healthchecks_ask_healthz_and_pg_isready(compose: dict[str, Any]) -> None:
    for node in NODES:
        check = " ".join(compose["services"][node]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{CONTAINER_PORT}/healthz" in check
        db_check = " ".join(compose["services"][f"{node}-db"]["healthcheck"]["test"])
        assert "pg_isready" in db_check


def test_dockerfile_installs_the_project_and_runs_hourbridge_unprivileged(cli: Any) -> None:
    lines = [
        line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    for line in lines:
        if line.startswith("COPY "):
            *sources, _ = shlex.split(line)[1:]
            assert all((ROOT / source).exists() for source in sources), line
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    entrypoint = next(line for line in lines if line.startswith("ENTRYPOINT "))
    assert entrypoint == 'ENTRYPOINT ["hourbridge"]'
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["hourbridge"] == "node.cli.main:main"
    env_names = re.findall(r"\b(HOURBRIDGE_\w+)=", "\n".join(lines))
    assert env_names and set(env_names) <= known_env_names(cli)
