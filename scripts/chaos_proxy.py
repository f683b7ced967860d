#!/usr/bin/env python3
"""A fault-injecting TCP proxy for the links between nodes: drops, delays and cuts connections.

    python scripts/chaos_proxy.py --route 9101:8101 --route 9102:8102 --seed 7 \\
        [--refuse 0.05] [--cut-request 0.02] [--cut-response 0.03] [--delay 0.1] \\
        [--delay-max-ms 400] [--partition 0.03] [--partition-max-s 3] [--stats FILE]

Each `--route LISTEN:TARGET` accepts connections on 127.0.0.1:LISTEN and forwards them to
127.0.0.1:TARGET. The federation directory lists the LISTEN port as a node's URL, so every
transaction a peer sends that node goes through here; the member API is reached directly.

Faults, each drawn from one random generator seeded by `--seed`:
* refuse: a new connection is closed at once (the request is lost before it left);
* cut request: the connection is closed while a request is on its way (lost, or half sent);
* cut response: the request reached the node, its answer is thrown away and the connection
  closed (the node did the work; the sender never hears of it);
* delay: a chunk waits up to `--delay-max-ms` before it is passed on;
* partition: once a second, with this probability, the route goes down for up to
  `--partition-max-s` seconds (every connection refused, open ones cut).

The order in which concurrent connections draw from the generator depends on timing, so a seed
fixes the fault rates and the draws' sequence, not which request meets which fault.

Signals: SIGUSR1 heals every route (plain forwarding from then on), SIGUSR2 brings the faults
back, SIGTERM stops. `--stats FILE` is rewritten once a second with the counts (JSON). This
file imports nothing from the node: it is a piece of the network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHUNK_BYTES = 65_536
CONNECT_TIMEOUT_S = 5.0


@dataclass
class Faults:
    refuse: float = 0.05
    cut_request: float = 0.02
    cut_response: float = 0.03
    delay: float = 0.1
    delay_max_ms: int = 400
    partition: float = 0.03
    partition_max_s: float = 3.0


@dataclass
class Counts:
    connections: int = 0
    refused: int = 0
    cut_request: int = 0
    cut_response: int = 0
    delayed: int = 0
    partitions: int = 0
    partition_refused: int = 0
    bytes_forwarded: int = 0


@dataclass
class Route:
    listen: int
    target: int
    down_until: float = 0.0
    open_writers: set[asyncio.StreamWriter] = field(default_factory=set)


class Proxy:
    def __init__(self, routes: list[Route], faults: Faults, seed: int) -> None:
        self.routes = routes
        self.faults = faults
        self.rng = random.Random(seed)
        self.counts = Counts()
        self.healed = False

    def chance(self, probability: float) -> bool:
        return not self.healed and self.rng.random() < probability

    async def maybe_delay(self) -> None:
        if self.chance(self.faults.delay):
            self.counts.delayed += 1
            await asyncio.sleep(self.rng.uniform(0, self.faults.delay_max_ms) / 1000)

    async def pipe(self, route: Route, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter, *, cut: float, is_request: bool) -> None:
        while data := await reader.read(CHUNK_BYTES):
            if self.is_down(route) or self.chance(cut):
                if is_request:
                    self.counts.cut_request += 1
                    writer.write(data[: self.rng.randrange(len(data))])  # half of it, or none
                else:
                    self.counts.cut_response += 1
                return
            await self.maybe_delay()
            writer.write(data)
            await writer.drain()
            self.counts.bytes_forwarded += len(data)

    def is_down(self, route: Route) -> bool:
        return not self.healed and time.monotonic() < route.down_until

    async def handle(self, route: Route, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        self.counts.connections += 1
        if self.is_down(route):
            self.counts.partition_refused += 1
            client_w.close()
            return
        if self.chance(self.faults.refuse):
            self.counts.refused += 1
            client_w.close()
            return
        try:
            server_r, server_w = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", route.target), CONNECT_TIMEOUT_S)
        except (TimeoutError, OSError):
            client_w.close()  # the node is down (killed): the sender sees a reset
            return
        route.open_writers.update((client_w, server_w))
        upstream = asyncio.ensure_future(self.pipe(route, client_r, server_w,
                                                   cut=self.faults.cut_request, is_request=True))
        downstream = asyncio.ensure_future(self.pipe(route, server_r, client_w,
                                                     cut=self.faults.cut_response,
                                                     is_request=False))
        try:
            await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (upstream, downstream):
                task.cancel()
            for writer in (client_w, server_w):
                route.open_writers.discard(writer)
                writer.close()

    async def partitions(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for route in self.routes:
                if not self.is_down(route) and self.chance(self.faults.partition):
                    self.counts.partitions += 1
                    route.down_until = time.monotonic() + self.rng.uniform(
                        0.2, self.faults.partition_max_s)
                    for writer in list(route.open_writers):
                        writer.close()

    async def write_stats(self, path: Path | None) -> None:
        while path is not None:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(self.counts) | {"healed": self.healed}))
            tmp.replace(path)
            await asyncio.sleep(1.0)

    async def run(self, stats: Path | None) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, lambda: setattr(self, "healed", True))
        loop.add_signal_handler(signal.SIGUSR2, lambda: setattr(self, "healed", False))
        servers = []
        for route in self.routes:
            def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter,
                        route: Route = route) -> asyncio.Future[None]:
                return asyncio.ensure_future(self.handle(route, r, w))
            servers.append(await asyncio.start_server(handler, "127.0.0.1", route.listen,
                                                      reuse_address=True))
        background = [asyncio.ensure_future(self.partitions()),
                      asyncio.ensure_future(self.write_stats(stats))]
        print(f"chaos proxy ready: {', '.join(f'{r.listen}->{r.target}' for r in self.routes)}",
              flush=True)
        await stop.wait()
        for task in background:
            task.cancel()
        for server in servers:
            server.close()
        if stats is not None:
            stats.write_text(json.dumps(asdict(self.counts) | {"healed": self.healed}))


def parse_route(text: str) -> Route:
    listen, _, target = text.partition(":")
    return Route(int(listen), int(target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--route", action="append", type=parse_route, required=True,
                        metavar="LISTEN:TARGET")
    parser.add_argument("--seed", type=int, default=0)
    defaults = Faults()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--stats", type=Path, help="JSON counts, rewritten once a second")
    args = parser.parse_args()
    faults = Faults(**{name: getattr(args, name) for name in asdict(defaults)})
    asyncio.run(Proxy(args.route, faults, args.seed).run(args.stats))


if __name__ == "__main__":
    main()
