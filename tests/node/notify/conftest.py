"""Real receivers on 127.0.0.1 for the delivery tests: an HTTP server in a thread standing in for
a city's SMS/WeChat gateway, and an in-process SMTP server (aiosmtpd); and a node configured to
deliver to both."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from node.clock import FakeClock
from node.runtime import Node
from tests.node.timebank.conftest import people
from tests.support import PgDatabases, build_node, make_config

SECRET = "0123456789abcdef" * 4  # 64 characters, as `openssl rand -hex 32` makes
SENDER = "timebank@sh-pudong.example"


@dataclass
class Posted:
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass
class WebhookReceiver:
    """Answers each POST with the next planned status (200 once the plan is used up)."""

    url: str = ""
    received: list[Posted] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    always: int = 200

    def answer(self, posted: Posted) -> int:
        self.received.append(posted)
        return self.plan.pop(0) if self.plan else self.always


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.answer(Posted(headers, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hourbridge/notify"
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Mailbox:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


NotifyNode = Callable[..., Node]


@pytest.fixture
def notify_node(tmp_path: Path, clock: FakeClock, webhook: WebhookReceiver, smtp: Mailbox,
                backend: str, pg_databases: PgDatabases | None) -> Iterator[NotifyNode]:
    """notify_node(**config) -> a node delivering to both receivers, with elders gran and
    gran2 and the volunteer vol at station east; `config` overrides notify_* options. On
    SQLite, and on PostgreSQL when HOURBRIDGE_TEST_PG_URL names a server."""
    opened: list[Node] = []
    with ExitStack() as databases:

        def factory(**overrides: Any) -> Node:
            data = tmp_path / f"sh-pudong-{len(opened)}"
            url = ""
            if backend == "postgresql":
                assert pg_databases is not None
                url = databases.enter_context(pg_databases.database("sh-pudong"))
            config = make_config(data, "sh-pudong", url)
            (data / "webhook.secret").write_text(SECRET + "\n")
            config = config.model_copy(update={
                "notify_webhook_url": webhook.url,
                "notify_webhook_secret_file": "webhook.secret",
                "notify_smtp_host": "127.0.0.1", "notify_smtp_port": smtp.port,
                "notify_smtp_starttls": False, "notify_smtp_from": SENDER, **overrides})
            node = build_node(config, clock, bootstrap=True)
            opened.append(node)
            people(node, ("gran", 1940), ("gran2", 1938), ("vol", 1990))
            return node

        yield factory
        for node in opened:
            node.close()
