"""Every HTTP answer names the node's release and the standard's revision in one header,
`HourBridge-Version: 0.2.0.dev0; standard=1.3` (standard §16.2): a peer, a load balancer's log
or an operator's curl sees what answered without a second request. Pure ASGI, so it costs one
list append per response and never buffers a body."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.version import VERSION_HEADER, header_value

_HEADER = (VERSION_HEADER.lower().encode("latin-1"), header_value().encode("latin-1"))


class VersionHeaderMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), _HEADER]}
            await send(message)

        await self.app(scope, receive, send_with_header)
