"""Composition: one place that builds a node's services from its config, key and clock.

Services receive exactly what they use; nothing looks anything up at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TypedDict

from argon2 import PasswordHasher
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from node.access import Principal
from node.clock import Clock, SystemClock
from node.config import NodeConfig
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.migrate import require_migrated, upgrade
from node.db.schema import node_info
from node.errors import ConfigError
from node.exchange.payments import PaymentHandlers
from node.exchange.relocation import RelocationHandlers
from node.exchange.routed import RoutedHandlers
from node.exchange.runner import RunnerSettings
from node.exchange.service import Exchange
from node.exchange.transport import Transport
from node.federation import FederationService, parse_anchor
from node.keyring import Keyring, Signer, load_keyring, register_first_key
from node.keys import passphrase_from_env
from node.ledger.journal import Ledger
from node.linkmap import LinkMapService
from node.notify import events as notify_events
from node.notify.service import Notifications, build_notifications
from node.notify.settings import DeliverySettings, load_settings
from node.notify.texts import Names
from node.people.pins import Hasher
from node.people.service import PeopleService
from node.privacy import consents
from node.privacy.access_log import Action, Result, append
from node.privacy.ids import KEY_FILE as ID_KEY_FILE
from node.privacy.ids import IdKey
from node.privacy.reads import own_read
from node.privacy.service import Privacy
from node.reconcile.service import Reconciler
from node.services.grants import GrantService
from node.services.ledger_admin import LedgerAdminService
from node.services.member_edits import MemberEdits
from node.services.member_merge import MemberMerge
from node.services.members import MemberService
from node.services.outgoing import OutgoingTransfers
from node.services.payments import PaymentService
from node.services.relocation import RelocationService
from node.services.system_accounts import ensure_system_accounts, open_system_accounts
from node.services.tokens import TokenService
from node.services.transfers import TransferService
from node.services.units import node_unit
from node.staff.accounts import StaffAccounts
from node.staff.signin import StaffSignIn
from node.stations.registry import Stations
from node.timebank.kin_pending import needs_kin, record_arrival_kin
from node.timebank.parties import unsettled_requests
from node.timebank.people import grant_rule
from node.timebank.policy import NodePolicy, Recipients
from node.timebank.service import TimeBank, gift_rule, policy_for
from node.timebank.visit_key import KEY_FILE as VISIT_KEY_FILE
from node.timebank.visit_key import VisitKey
from protocol.signing import SigningKey


@dataclass
class Node:
    config: NodeConfig
    db: Database
    clock: Clock
    signer: Signer
    federation: FederationService
    link_maps: LinkMapService  # the link map (§22, draft): held, routed over, not yet used
    ledger: Ledger
    writer: WriteBatcher
    members: MemberService
    transfers: TransferService
    grants: GrantService
    tokens: TokenService
    ledger_admin: LedgerAdminService
    exchange: Exchange
    reconciler: Reconciler
    relocations: RelocationService
    payments: PaymentService
    timebank: TimeBank
    notifications: Notifications
    people: PeopleService
    member_edits: MemberEdits  # corrections of members' records, and their history
    member_merge: MemberMerge  # duplicate registrations merged by an admin
    privacy: Privacy  # personal data, consents, export, erasure and the access log (PIPL)
    stations: Stations  # the station registry (node/stations/)
    staff: StaffAccounts  # console logins by username and password (node/staff/)
    staff_sign_in: StaffSignIn
    _key_override: SigningKey | None = None

    def reload_keys(self) -> None:
        """Pick up keys rotated by `hourbridge keys rotate` while this node runs."""
        self.signer.keyring = load_keyring(
            self.db, self.config, passphrase=passphrase_from_env(), override=self._key_override
        )

    def refresh_directory(self) -> bool:
        """Adopt a directory another process stored (`hourbridge federation load`), then load
        the configured source; then the link map likewise, after the directory it is checked
        against (§22). True if the directory in force changed."""
        changed = self.federation.refresh(self.config.directory_source)
        self.link_maps.refresh(self.config.link_map_source)
        return changed

    def refresh_federation(self) -> bool:
        """The scheduled refresh, also run on an operator's demand: keys rotated by the CLI,
        then the directory. True if the directory in force changed."""
        self.reload_keys()
        return self.refresh_directory()

    def close(self) -> None:
        self.writer.close()
        self.notifications.close()
        self.db.dispose()


def bootstrap_database(
    db: Database, *, node_id: str, now_ms: int, key: SigningKey | None = None,
    key_file: str = "",
) -> None:
    """Migrate, record which node owns this database, create the system accounts (the pool and
    escrow among them: node/services/system_accounts.py) and, given the node's first key, start
    its key history."""
    upgrade(db)
    if key is not None:
        register_first_key(db, key, key_file=key_file, now_ms=now_ms)
    ledger = Ledger(node_id)
    with db.write() as conn:
        owner = conn.execute(
            select(node_info.c.value).where(node_info.c.key == "node_id")
        ).scalar_one_or_none()
        if owner is None:
            conn.execute(insert(node_info).values(key="node_id", value=node_id))
        elif owner != node_id:
            raise ConfigError(f"this database belongs to node {owner}, not {node_id}")
        ensure_system_accounts(conn, ledger, now_ms)


def _check_owner(db: Database, node_id: str) -> None:
    with db.read() as conn:
        owner = conn.execute(
            select(node_info.c.value).where(node_info.c.key == "node_id")
        ).scalar_one_or_none()
    if owner != node_id:
        raise ConfigError(
            f"database belongs to node {owner or '(none: run hourbridge init)'}, "
            f"config says {node_id}"
        )


def open_node(
    config: NodeConfig,
    *,
    clock: Clock | None = None,
    key: SigningKey | None = None,
    serving: bool = False,
    transport: Transport | None = None,
    password_hasher: PasswordHasher | None = None,
) -> Node:
    """Open a node whose database is migrated and initialised; refuse otherwise.

    `serving`: a long-running server (background WAL checkpoints on SQLite).
    `transport`: how transactions reach peers (HTTP by default; tests pass in-process ones).
    `password_hasher`: the members' PIN hashing (argon2-cffi's RFC 9106 profile by default;
    tests pass cheaper parameters, node/people/pins.py).
    """
    # existing_database_url: only `init` creates a database (node/config.py)
    db = Database(config.existing_database_url(), background_checkpoints=serving)
    clock = clock or SystemClock()
    try:
        opened = _open_checked(db, config, clock, key)
        # A request type of the standard without a handler fails here, not at run time.
        return _assemble(opened, transport=transport, password_hasher=password_hasher)
    except Exception:
        db.dispose()
        raise


class _Common(TypedDict):
    """The three parts most services take, typed so `**common` is checked argument by argument."""

    db: Database
    ledger: Ledger
    clock: Clock


@dataclass(frozen=True)
class _Opened:
    """What `_open_checked` verified: the parts every service is built from."""

    config: NodeConfig
    db: Database
    clock: Clock
    key: SigningKey | None
    keyring: Keyring
    federation: FederationService
    ledger: Ledger
    policy: NodePolicy
    delivery: DeliverySettings


def _open_checked(db: Database, config: NodeConfig, clock: Clock,
                  key: SigningKey | None) -> _Opened:
    """Every check that may refuse to open the node, run before any service exists, so a
    refusal leaves nothing half-built behind."""
    require_migrated(db)
    _check_owner(db, config.node_id)
    keyring = load_keyring(db, config, passphrase=passphrase_from_env(), override=key)
    federation = FederationService(
        db=db, clock=clock, node_id=config.node_id,
        anchors=[parse_anchor(text) for text in config.directory_anchors],
    )
    ledger = Ledger(config.node_id)
    policy = policy_for(config.policy_file, config.data_path)
    delivery = load_settings(config)  # a notification channel configured without its secret
    # Before anything can credit the pool: refuse a member registered under its id, and
    # create the system accounts a database made before `init` created them lacks.
    open_system_accounts(db, ledger, clock.now_ms())
    return _Opened(config=config, db=db, clock=clock, key=key, keyring=keyring,
                   federation=federation, ledger=ledger, policy=policy, delivery=delivery)


def _exchange(opened: _Opened, *, writer: WriteBatcher, signer: Signer,
              transport: Transport | None, link_maps: LinkMapService) -> Exchange:
    """The exchange with a handler for every request type of the standard, checked here."""
    config, ledger = opened.config, opened.ledger
    exchange = Exchange(node_id=config.node_id, db=opened.db, writer=writer,
                        federation=opened.federation, signer=signer, clock=opened.clock,
                        ledger=ledger, transport=transport,
                        runner_settings=RunnerSettings(
                            backoff_max_s=config.exchange_backoff_max_s,
                            breaker_open_s=config.exchange_breaker_open_s),
                        window=config.exchange_window)
    retry_ms = exchange.answers.retry.prepare_ms
    RelocationHandlers(node_id=config.node_id, ledger=ledger, retry_ms=retry_ms,
                       arrived=partial(record_arrival_kin,
                                       needs=needs_kin(opened.policy))).install(exchange)
    PaymentHandlers(node_id=config.node_id, retry_ms=retry_ms).install(exchange)
    RoutedHandlers(node_id=config.node_id, ledger=ledger, signer=signer,
                   link_maps=link_maps,
                   capabilities=exchange.capabilities).install(exchange.requests, exchange.answers)
    # A transfer from another node tells its creditor, in the transaction that credits her.
    exchange.requests.on_prepare_committed(notify_events.hours_received)
    exchange.requests.require_complete()
    return exchange


def _names(policy: NodePolicy, federation: FederationService) -> Names:
    """What notifications call a service and a node: the policy's catalogue, the directory."""
    def node_name(node_id: str) -> str | None:
        directory = federation.current()
        entry = directory.node(node_id) if directory is not None else None
        return entry.name if entry is not None else None

    return Names(items={item.code: item.name for item in policy.items},
                 categories={category.code: category.name for category in policy.categories},
                 node_name=node_name)


def _log_access(conn: Connection, *, member_local_id: str, principal: Principal,
                  change: bool, fields: list[str], allowed: bool, now_ms: int) -> None:
    """A row of the access log for services below node/privacy in the layer order (contacts,
    delegates): they are handed this (node/access.py's AccessLogger) instead of importing the
    log. A member's read of her own data is not logged, as node/privacy/reads.py says."""
    if not change and own_read(principal, member_local_id):
        return
    append(conn, member_local_id=member_local_id, actor=principal.actor,
           action=Action.CHANGE if change else Action.READ, fields=fields,
           result=Result.ALLOWED if allowed else Result.REFUSED, now_ms=now_ms)


def _assemble(opened: _Opened, *, transport: Transport | None,
              password_hasher: PasswordHasher | None) -> Node:
    """Build every service from the checked parts; each receives exactly what it uses."""
    config, db, clock, ledger = opened.config, opened.db, opened.clock, opened.ledger
    federation, policy, node_id = opened.federation, opened.policy, config.node_id
    signer = Signer(opened.keyring, clock=clock, directory=federation.current)
    unit = partial(node_unit, federation, node_id, policy.unit.node_unit())
    common: _Common = {"db": db, "ledger": ledger, "clock": clock}
    writer = WriteBatcher(db)
    staff_hasher = Hasher(password_hasher)  # staff passwords: the members' hashing and bound
    link_maps = LinkMapService(db=db, clock=clock, node_id=node_id, federation=federation)
    exchange = _exchange(opened, writer=writer, signer=signer, transport=transport,
                         link_maps=link_maps)
    outgoing = OutgoingTransfers(ledger=ledger, clock=clock, node_id=node_id,
                                 federation=federation,
                                 expiry_ms=config.transfer_expiry_s * 1000, wake=exchange.wake,
                                 link_maps=link_maps, capabilities=exchange.capabilities)
    grants = GrantService(**common, writer=writer, rule=grant_rule(policy))
    timebank = TimeBank(**common, node_id=node_id, policy=policy, grants=grants,
                        outgoing=outgoing, federation=federation, unit=unit,
                        visit_key=VisitKey(config.data_path / VISIT_KEY_FILE))
    return Node(
        config=config, db=db, clock=clock, signer=signer, federation=federation, ledger=ledger,
        writer=writer,
        link_maps=link_maps,
        members=MemberService(**common, node_id=node_id, unit=unit),
        transfers=TransferService(**common, writer=writer, node_id=node_id,
                                  outgoing=outgoing, gift_rule=gift_rule(policy, clock)),
        grants=grants,
        tokens=TokenService(db, clock),
        ledger_admin=LedgerAdminService(**common, signer=signer),
        exchange=exchange,
        reconciler=Reconciler(node_id=node_id, db=db, writer=writer,
                              federation=federation, signer=signer, clock=clock, ledger=ledger,
                              exchange=exchange),
        relocations=RelocationService(**common, writer=writer, node_id=node_id,
                                      outgoing=outgoing, unsettled_requests=unsettled_requests,
                                      share_kin=policy.transfers.recipients
                                      is not Recipients.ANYONE,
                                      consented_at=partial(
                                          consents.consented_at,
                                          purpose=consents.Purpose.SHARE_ON_RELOCATION)),
        payments=PaymentService(db=db, writer=writer, clock=clock, node_id=node_id,
                                outgoing=outgoing),
        timebank=timebank,
        notifications=build_notifications(db=db, clock=clock, settings=opened.delivery,
                                          names=_names(policy, federation),
                                          log_access=_log_access,
                                          may_notify=partial(
                                              consents.has_consent,
                                              purpose=consents.Purpose.NOTICES)),
        people=PeopleService(db=db, clock=clock, node_id=node_id, base_url=config.url,
                             password_hasher=password_hasher, log_access=_log_access),
        member_edits=MemberEdits(db=db, clock=clock, node_id=node_id,
                                 subsidised_allowed=policy.credit.subsidised_services),
        member_merge=MemberMerge(**common, writer=writer, node_id=node_id,
                                 unsettled_requests=unsettled_requests,
                                 balance_cap_minutes=policy.caps.balance_minutes),
        privacy=Privacy(db=db, clock=clock, node_id=node_id,
                        id_key=IdKey(config.data_path / ID_KEY_FILE)),
        stations=Stations(db=db, clock=clock),
        staff=StaffAccounts(db=db, clock=clock, hasher=staff_hasher),
        staff_sign_in=StaffSignIn(db=db, clock=clock, hasher=staff_hasher),
        _key_override=opened.key,
    )
