"""docker-compose.yml and the Dockerfile, checked against the real CLI and config.

No container engine can pull an image on the build machines, so nothing here starts a container
(tests/integration/test_compose_processes.py runs the same topology as processes). Instead the
compose file is read the way compose reads it (YAML, merge keys, `${VAR:-default}` and `$$`),
every `hourbridge` call in the services' scripts (scripts/compose/) is checked against the real
click command behind the typer app, and a node's `init` is run into a temporary folder. The
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
from node.timebank.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
NODES = {"sh-pudong": "310115", "nj-gulou": "320106", "bj-chaoyang": "110105"}
CONTAINER_PORT = 8700
IMAGE_SCRIPTS = "/opt/hourbridge/compose"  # the Dockerfile copies scripts/compose/ here
IMAGE_POLICIES = "/opt/hourbridge/policies"  # ... and examples/policies/ here
POLICIES = {"sh-pudong": "shanghai-2026", "nj-gulou": "nanjing-2019", "bj-chaoyang": "beijing-2022"}


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
        if hasattr(command, "list_commands"):  # the root loads each command as it resolves it
            context = typer.Context(command)
            stack += [command.get_command(context, name)
                      for name in command.list_commands(context)]
        names |= {param.envvar for param in command.params if isinstance(param.envvar, str)}
    return names


def script_of(service: dict[str, Any]) -> Path:
    """The checkout's copy of the script a service runs (its entrypoint in the image)."""
    shell, script = service["entrypoint"]
    assert shell == "/bin/sh" and script.startswith(IMAGE_SCRIPTS + "/"), service["entrypoint"]
    return ROOT / "scripts" / "compose" / script.removeprefix(IMAGE_SCRIPTS + "/")


def hourbridge_calls(script: Path) -> list[tuple[list[str], set[str]]]:
    """Each `hourbridge` call in a script: its command path and the --options it gives."""
    text = script.read_text(encoding="utf-8").replace("\\\n", " ")
    calls = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        # A command starts a line, follows `$(`, `exec` or a pipe, maybe after VAR=value.
        for match in re.finditer(r"(?:^\s*|\$\(|\bexec\s+|\|\s*)(?:[A-Z_]+=\S+\s+)*"
                                 r"hourbridge ((?:[a-z][a-z-]* )*)(.*)", line):
            rest = re.split(r" (?:>|\||;|&&)", match.group(2))[0]
            calls.append((match.group(1).split(), set(re.findall(r"(?<!\S)--[a-z-]+", rest))))
    return calls


def host_port(service: dict[str, Any]) -> int:
    (mapping,) = service["ports"]
    host, container = str(mapping).split(":")
    assert int(container) == CONTAINER_PORT
    return int(host)


def test_services_are_an_authority_and_three_nodes_each_with_its_own_postgres(
    compose: dict[str, Any]
) -> None:
    services = compose["services"]
    assert set(services) == {"authority"} | set(NODES) | {f"{node}-db" for node in NODES}
    assert services["authority"]["build"] == "."
    assert services["authority"]["environment"]["HB_EXPECT"].split() == list(NODES)
    for node in NODES:
        assert services[node]["build"] == "."
        assert (ROOT / "Dockerfile").is_file()
        assert re.fullmatch(r"postgres:15(\.\d+)?(-\w+)?", services[f"{node}-db"]["image"])
        # A node starts once its database and the authority (its anchor published) are healthy.
        assert services[node]["depends_on"] == {f"{node}-db": {"condition": "service_healthy"},
                                                "authority": {"condition": "service_healthy"}}


def option_names(cli: Any, path: list[str]) -> set[str]:
    command = cli
    for name in path:
        # Through the group's own lookup: the root loads each command as it resolves it.
        found = command.get_command(typer.Context(command), name) if hasattr(
            command, "get_command") else None
        assert found is not None, f"no hourbridge command {path}"
        command = found
    assert not hasattr(command, "commands"), f"hourbridge {' '.join(path)} needs a subcommand"
    return {opt for param in command.params for opt in param.opts if opt.startswith("--")}


@pytest.mark.parametrize("script", ["authority.sh", "node.sh"])
def test_scripts_call_real_cli_commands_and_options(cli: Any, script: str) -> None:
    calls = hourbridge_calls(ROOT / "scripts" / "compose" / script)
    assert calls, f"{script} calls no hourbridge command"
    for path, options in calls:
        unknown = options - option_names(cli, path)
        assert not unknown, f"hourbridge {' '.join(path)} has no {sorted(unknown)}"
    wanted = {"authority.sh": {"directory init", "directory add-node", "directory sign"},
              "node.sh": {"init", "keys list", "serve"}}[script]
    assert wanted <= {" ".join(path) for path, _ in calls}


@pytest.mark.parametrize("node", NODES)
def test_node_service_is_its_city_with_its_policy(compose: dict[str, Any], node: str) -> None:
    service = compose["services"][node]
    assert script_of(service).name == "node.sh" and script_of(service).is_file()
    assert script_of(compose["services"]["authority"]).name == "authority.sh"
    env = service["environment"]
    assert env["HB_NODE_ID"] == node and env["HB_REGION"] == NODES[node]
    assert env["HB_URL"] == f"http://{node}:{CONTAINER_PORT}"
    assert env["HB_DATA"] == env["HOURBRIDGE_DATA"] == "/data"
    assert env["HB_FEDERATION"] == compose["services"]["authority"]["environment"]["HB_FEDERATION"]
    policy = env["HB_POLICY"]
    assert policy == f"{IMAGE_POLICIES}/{POLICIES[node]}.toml"
    path = ROOT / "examples" / "policies" / policy.removeprefix(IMAGE_POLICIES + "/")
    assert load_policy(path).programme == POLICIES[node].replace("-", "_")
    # The database URL (with its password) comes from the environment, never from node.toml.
    assert "HOURBRIDGE_DATABASE_URL" in env


@pytest.mark.parametrize("node", NODES)
def test_init_runs_and_the_environment_is_real_config(
    compose: dict[str, Any], cli: Any, node: str, tmp_path: Path
) -> None:
    service = compose["services"][node]
    hb = service["environment"]
    argv = ["init", "--node-id", hb["HB_NODE_ID"], "--region", hb["HB_REGION"], "--url",
            hb["HB_URL"], "--name", hb["HB_NAME"], "--data", str(tmp_path)]
    # Run without the compose environment: SQLite here, as there is no PostgreSQL to reach.
    result = CliRunner().invoke(app, argv, env={"HOURBRIDGE_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    assert "hourbridge-demo" not in (tmp_path / "node.toml").read_text()

    env = {k: v for k, v in service["environment"].items() if not k.startswith("HB_")}
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


def test_volumes_are_named_declared_and_only_the_federation_one_shared(
    compose: dict[str, Any]
) -> None:
    declared = set(compose["volumes"])
    used: list[str] = []
    for name, service in compose["services"].items():
        mounts = dict(str(volume).split(":", 1) for volume in service["volumes"])
        if name.endswith("-db"):
            assert list(mounts.values()) == ["/var/lib/postgresql/data"], f"{name} mounts {mounts}"
        elif name == "authority":  # the authority key never leaves its own volume
            assert mounts == {"authority-data": "/authority", "federation": "/federation"}
        else:
            assert mounts == {f"{name}-data": "/data", "federation": "/federation"}
        used += [volume for volume in mounts if volume != "federation"]
    assert len(used) == len(set(used)), "two services share a private volume"
    assert set(used) | {"federation"} == declared


def test_host_ports_are_distinct_and_only_nodes_publish(compose: dict[str, Any]) -> None:
    services = compose["services"]
    ports = [host_port(services[node]) for node in NODES]
    assert len(set(ports)) == len(ports)
    assert all("ports" not in services[f"{node}-db"] for node in NODES)
    assert "ports" not in services["authority"]


def test_healthchecks_ask_healthz_and_pg_isready(compose: dict[str, Any]) -> None:
    for node in NODES:
        check = " ".join(compose["services"][node]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{CONTAINER_PORT}/healthz" in check
        db_check = " ".join(compose["services"][f"{node}-db"]["healthcheck"]["test"])
        assert "pg_isready" in db_check
    # The authority is healthy once the nodes can pin its anchor.
    assert compose["services"]["authority"]["healthcheck"]["test"] == [
        "CMD", "test", "-s", "/federation/anchor"]


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
    # Every install is from the hash-checked lock, or the project alone resolving nothing.
    installs = [line for line in lines if "pip install" in line]
    assert installs == ["RUN pip install --require-hashes -r requirements/runtime.txt",
                        "RUN pip install --no-deps --no-build-isolation . && rm -rf /src"]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    entrypoint = next(line for line in lines if line.startswith("ENTRYPOINT "))
    assert entrypoint == 'ENTRYPOINT ["hourbridge"]'
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["hourbridge"] == "node.cli.main:main"
    env_names = re.findall(r"\b(HOURBRIDGE_\w+)=", "\n".join(lines))
    assert env_names and set(env_names) <= known_env_names(cli)
