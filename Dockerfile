# One HourBridge node, or the federation's authority. docker-compose.yml runs an authority and
# three nodes, each node with its own PostgreSQL and a city's policy.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# The dependencies from the runtime lock alone, hash-checked: the image runs exactly the
# versions CI tested (scripts/lock). Its own layer, so a code change does not reinstall them.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
# Then the project itself, resolving nothing: its build backend came from the lock above.
# Only what the package needs, so edits to tests or docs do not invalidate the install layer.
COPY pyproject.toml README.md ./
COPY node ./node
COPY protocol ./protocol
RUN pip install --no-deps --no-build-isolation . && rm -rf /src
# The compose file's commands (scripts/compose/) and the example city policies it runs.
COPY scripts/compose /opt/hourbridge/compose
COPY examples/policies /opt/hourbridge/policies

# The node never runs as root. /data holds node.toml, the signing key (0600) and, without a
# database URL, the SQLite database; a volume mounted there inherits this ownership.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hourbridge \
    && mkdir -p /data && chown hourbridge:hourbridge /data && chmod 0700 /data \
    && mkdir -p /authority /federation && chown hourbridge:hourbridge /authority /federation \
    && chmod 0700 /authority
USER hourbridge
WORKDIR /data
VOLUME ["/data"]
ENV HOURBRIDGE_DATA=/data
EXPOSE 8700

ENTRYPOINT ["hourbridge"]
CMD ["--help"]
