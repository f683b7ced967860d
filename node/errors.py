"""One error tree for the node; every error carries a stable code.

    NodeError                      expected operating errors (bad input, missing things, rules)
    ├── NotFound                   the named thing does not exist here
    ├── Conflict                   it exists already, or the same id came with another body
    ├── RuleViolation              the request is well formed but the ledger's rules refuse it
    ├── AuthError                  no or bad credentials, or not allowed
    ├── FederationRefusal          a directory or transaction refused under the standard
    ├── ConfigError                the node cannot start as configured
    └── FixedCodeError             one code per class, raised with a detail alone:
        ├── TransportError         a peer not reached (node.exchange.transport)
        ├── RouteNotSupported      a route's first hop takes no legs (node.exchange.capabilities)
        ├── EvidenceError          a peer's evidence refused (node.reconcile.evidence)
        ├── CutUnknown             a cut beyond this node's chains (node.reconcile.window)
        ├── ReportInvalid          a report file that does not verify (node.reports.verify)
        ├── CollectError           a node report not collected (node.reports.collect)
        ├── ImportRefused          an import file not imported (node.imports.sheet)
        ├── ReceiptInvalid         an import receipt that does not verify (node.imports.receipt)
        ├── CertificateInvalid     a certificate that does not verify (node.certificates.verify)
        ├── AccessLogInvalid       an access log whose chain does not verify (node.privacy)
        ├── DeliveryFailed         a notification a channel did not take (node.notify.channels)
        ├── LoginRequired          no console session (node.console.web)
        ├── CsrfRefused            a console form without its secret (node.console.web)
        ├── UploadRefused          an import page's upload refused; UploadTooLarge over its
                                   limits (node.console.pages_import)
        └── SignInRefused, SignInLocked, TooManyAttempts, ActivationRefused, PinTooWeak
                                   members signing in (node.people.errors)
    (PeerFailed, node.reconcile.peer, is a NodeError carrying the peer's own code as `kind`;
    FormInvalid and Overloaded are NodeErrors too. tests/node/test_error_tree.py holds every
    exception class of node/ to this tree.)
    InvariantViolation             a broken invariant: a bug or a tampered store; never caught

Services raise these; only `node.api.problems` turns them into HTTP responses.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    # request shape
    VALIDATION_FAILED = "validation_failed"
    BAD_REQUEST = "bad_request"
    MALFORMED_JSON = "malformed_json"
    BODY_TOO_LARGE = "body_too_large"
    BODY_TIMEOUT = "body_timeout"  # the declared body did not arrive within body_read_timeout_s
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    ROUTE_NOT_FOUND = "route_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # auth
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    # lookups
    MEMBER_NOT_FOUND = "member_not_found"
    TRANSFER_NOT_FOUND = "transfer_not_found"
    GRANT_NOT_FOUND = "grant_not_found"
    ENTRY_NOT_FOUND = "entry_not_found"
    CHECKPOINT_NOT_FOUND = "checkpoint_not_found"
    LINK_NOT_FOUND = "link_not_found"
    # conflicts
    MEMBER_EXISTS = "member_exists"
    LOCAL_ID_RESERVED = "local_id_reserved"  # the id of an account the node owns
    TRANSFER_ID_CONFLICT = "transfer_id_conflict"
    GRANT_ID_CONFLICT = "grant_id_conflict"
    ALREADY_REVERSED = "already_reversed"
    # ledger rules
    INSUFFICIENT_FUNDS = "insufficient_funds"
    MEMBER_INACTIVE = "member_inactive"
    SAME_ACCOUNT = "same_account"
    UNKNOWN_NODE = "unknown_node"
    NOT_REVERSIBLE = "not_reversible"
    AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
    AMOUNT_BELOW_UNIT = "amount_below_unit"  # local units that make no whole ratio block
    # federation
    DIRECTORY_REFUSED = "directory_refused"
    NO_DIRECTORY = "no_directory"
    LINK_MAP_REFUSED = "link_map_refused"
    NO_LINK_MAP = "no_link_map"
    NO_ROUTE = "no_route"
    # a route of more than one link whose first hop has not announced `transfer.hubs` (§16.2)
    ROUTE_NOT_SUPPORTED = "route_not_supported"
    TRANSACTION_REFUSED = "transaction_refused"
    PEER_NOT_ACTIVE = "peer_not_active"
    LINK_FROZEN = "link_frozen"
    RECONCILIATION_REFUSED = "reconciliation_refused"  # a peer's reconciliation request
    DISCREPANCY_NOT_FOUND = "discrepancy_not_found"
    PARTNER_CAP_EXCEEDED = "partner_cap_exceeded"
    OVERALL_CAP_EXCEEDED = "overall_cap_exceeded"
    NO_SINGLE_CLASS = "no_single_class"
    MEMBER_RELOCATED = "member_relocated"
    # relocation and payment requests (standard §10)
    RELOCATION_NOT_FOUND = "relocation_not_found"
    RELOCATION_ID_CONFLICT = "relocation_id_conflict"
    OPEN_TRANSFERS = "open_transfers"  # a member with reserved transfers cannot relocate yet
    # a member party to a service request that can still pay, refund or hold hours
    OPEN_SERVICE_REQUESTS = "open_service_requests"
    NEGATIVE_BALANCE = "negative_balance"  # a debt does not travel with a relocation
    # hours a duplicate member may still receive from a payment request: no merge yet
    OPEN_PAYMENT_REQUESTS = "open_payment_requests"
    # the policy's caps.balance_minutes: what one member may hold (merges, imports)
    BALANCE_CAP_EXCEEDED = "balance_cap_exceeded"
    PAYMENT_REQUEST_NOT_FOUND = "payment_request_not_found"
    PAYMENT_REQUEST_ID_CONFLICT = "payment_request_id_conflict"
    PAYMENT_REQUEST_CLOSED = "payment_request_closed"  # approved or declined already
    PAYMENT_REQUEST_EXPIRED = "payment_request_expired"
    # the local time bank (docs/timebank.md)
    POLICY_INVALID = "policy_invalid"
    POLICY_OUT_OF_BOUNDS = "policy_out_of_bounds"  # outside the federation's bounds
    POLICY_MONEY_CONVERSION = "policy_money_conversion"  # hours are never money
    POLICY_UNSUPPORTED = "policy_unsupported"
    SERVICE_REQUEST_NOT_FOUND = "service_request_not_found"
    SERVICE_REQUEST_ID_CONFLICT = "service_request_id_conflict"
    SERVICE_REQUEST_STATE = "service_request_state"  # the step does not fit the request's state
    SEPARATION_OF_DUTIES = "separation_of_duties"  # who served a visit does not pay for it
    SLIP_OUT_OF_BOUNDS = "slip_out_of_bounds"  # a paper slip's times break the policy
    # corrections of a paid visit (node/timebank/corrections.py) and qualifications
    ADJUSTMENT_NOT_FOUND = "adjustment_not_found"
    ADJUSTMENT_ID_CONFLICT = "adjustment_id_conflict"
    ADJUSTMENT_PENDING = "adjustment_pending"  # one correction of a visit awaits confirmation
    ADJUSTMENT_UNCOVERED = "adjustment_uncovered"  # the volunteer cannot give back the minutes
    ADJUSTMENT_WITHDRAWN = "adjustment_withdrawn"  # withdrawn unconfirmed: it never confirms
    ADJUSTMENT_POSTED = "adjustment_posted"  # confirmed already: it is not withdrawn
    QUALIFICATION_REQUIRED = "qualification_required"  # the category needs a valid one
    QUALIFICATION_ID_CONFLICT = "qualification_id_conflict"
    SUBSIDY_CAP_EXCEEDED = "subsidy_cap_exceeded"  # a station's subsidised minutes today
    CATEGORY_UNKNOWN = "category_unknown"
    ITEM_UNKNOWN = "item_unknown"
    NOT_ELIGIBLE = "not_eligible"  # age, residence or vetting rules of the policy
    AGE_UNKNOWN = "age_unknown"  # a rule needs the member's birth year
    RECIPIENT_NOT_ALLOWED = "recipient_not_allowed"  # the policy's transfer recipients
    CREDIT_CLASS_NOT_ALLOWED = "credit_class_not_allowed"
    GOODS_NOT_ALLOWED = "goods_not_allowed"
    GOODS_UNKNOWN = "goods_unknown"
    REDEMPTION_NOT_FOUND = "redemption_not_found"
    REDEMPTION_ID_CONFLICT = "redemption_id_conflict"
    DONATION_NOT_FOUND = "donation_not_found"
    DONATION_ID_CONFLICT = "donation_id_conflict"
    SPONSOR_NOT_FOUND = "sponsor_not_found"
    SPONSOR_EXISTS = "sponsor_exists"
    KIN_EXISTS = "kin_exists"
    # no relative of hers waits for confirmation under that address (node/timebank/kin_pending.py)
    KIN_PENDING_NOT_FOUND = "kin_pending_not_found"
    # a first redemption before the member banked the policy's threshold of earned hours
    # (redeemer.min_balance_minutes, the redeem_min_balance rule)
    REDEEM_MIN_BALANCE_NOT_MET = "redeem_min_balance_not_met"
    # a member's death and the node's closure (node/timebank/deaths.py, closure.py)
    DEATH_RECORDED = "death_recorded"  # recorded already, with another body
    DEATH_NOT_FOUND = "death_not_found"  # no death recorded for the member
    HEIR_NOT_ALLOWED = "heir_not_allowed"  # not registered kin here that the policy lets inherit
    CLOSURE_RECORDED = "closure_recorded"  # the node's closure is decided already, otherwise
    # visit codes: a volunteer checks in with the elder's code (node/timebank/visit_codes.py)
    VISIT_CODE_WRONG = "visit_code_wrong"  # missing or not the recipient's code
    VISIT_CODE_LOCKED = "visit_code_locked"  # too many wrong codes: station staff check in
    VISIT_CODE_UNSET = "visit_code_unset"  # the recipient has no code this node can read
    # notifications (docs/notifications.md)
    NOTIFICATION_NOT_FOUND = "notification_not_found"
    # operations
    NOT_MIGRATED = "not_migrated"
    # a member registered under a system account's id (issue 12): fixed by an operator
    SYSTEM_ACCOUNT_TAKEN = "system_account_taken"
    OVERLOADED = "overloaded"
    # the database's bad days (node/db/faults.py): nothing written, come back later
    DATABASE_UNAVAILABLE = "database_unavailable"
    STORAGE_FULL = "storage_full"
    # inside the node: raised and handled between its parts, shown to operators in logs and CLI
    PEER_UNREACHABLE = "peer_unreachable"  # no answer came back; the sender retries
    PEER_FAILED = "peer_failed"  # a reconciliation call refused, or answered with what fails
    EVIDENCE_INVALID = "evidence_invalid"  # a peer's evidence does not verify or contradicts us
    CUT_UNKNOWN = "cut_unknown"  # a window's cut beyond what this node holds of the chain
    REPORT_INVALID = "report_invalid"  # a signed report file that does not verify
    REPORT_NOT_COLLECTED = "report_not_collected"  # a node's report could not be collected
    # bulk import (node/imports/): a file with bad rows, nothing written; a receipt that fails
    IMPORT_REFUSED = "import_refused"
    IMPORT_RECEIPT_INVALID = "import_receipt_invalid"
    IMPORT_TOO_MANY_ROWS = "import_too_many_rows"  # read stops at the reader's row limit
    # volunteer-service certificates (node/certificates/)
    CERTIFICATE_NOT_FOUND = "certificate_not_found"
    CERTIFICATE_INVALID = "certificate_invalid"  # a certificate file that does not verify
    DELIVERY_FAILED = "delivery_failed"  # a notification channel did not take it; retried
    # personal data under the PIPL (node/privacy/)
    GUARDIAN_REQUIRED = "guardian_required"  # a member under 14 consents through a guardian
    # staff send a profile only with her recorded consent (node/privacy/consents.py)
    CONSENT_REQUIRED = "consent_required"
    MEMBER_ERASED = "member_erased"  # her personal data was erased; no new data is taken
    ACCESS_LOG_INVALID = "access_log_invalid"  # the access log's hash chain does not verify
    LOGIN_REQUIRED = "login_required"  # the console: no live session
    CSRF_REFUSED = "csrf_refused"  # the console: a form without its session's secret
    # members signing in (node/people, docs/members.md)
    SIGN_IN_FAILED = "sign_in_failed"  # wrong member number or PIN: which one is never said
    SIGN_IN_LOCKED = "sign_in_locked"  # too many wrong PINs for this member number: wait
    TOO_MANY_ATTEMPTS = "too_many_attempts"  # too many failures from this client: wait
    ACTIVATION_REFUSED = "activation_refused"  # unknown, used, voided or expired code alike
    PIN_TOO_WEAK = "pin_too_weak"
    DELEGATE_NOT_FOUND = "delegate_not_found"
    DELEGATE_NOT_KIN = "delegate_not_kin"  # only registered kin at this node act for a member
    # stations and staff accounts (node/stations/, node/staff/)
    STATION_UNKNOWN = "station_unknown"  # not a registered, active station (registry not empty)
    STATION_EXISTS = "station_exists"
    STAFF_ACCOUNT_NOT_FOUND = "staff_account_not_found"
    STAFF_ACCOUNT_EXISTS = "staff_account_exists"  # the username is taken
    PASSWORD_TOO_WEAK = "password_too_weak"  # a staff password: too short or a guess tried first
    CONFIG_INVALID = "config_invalid"
    INTERNAL_ERROR = "internal_error"


class NodeError(Exception):
    """An expected error with a stable code and a message a person can act on."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class NotFound(NodeError):
    pass


class Conflict(NodeError):
    pass


class RuleViolation(NodeError):
    pass


class AuthError(NodeError):
    pass


class FederationRefusal(NodeError):
    """A document from the federation refused by the standard's rules; `reason` is the standard's
    reason code (docs/standard.md §12), which peers and operators act on."""

    def __init__(self, code: ErrorCode, reason: str, detail: str, *,
                 retry_after_ms: int | None = None) -> None:
        super().__init__(code, f"{reason}: {detail}")
        self.reason = reason
        # A temporary refusal that knows when to ask again ("come back", standard §20.6).
        self.retry_after_ms = retry_after_ms


class FixedCodeError(NodeError):
    """A NodeError whose class decides its code: raised with the detail alone."""

    CODE: ClassVar[ErrorCode]

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.CODE, detail)


class ConfigError(NodeError):
    def __init__(self, detail: str, code: ErrorCode = ErrorCode.CONFIG_INVALID) -> None:
        super().__init__(code, detail)


class InvariantViolation(AssertionError):
    """An invariant of the ledger does not hold. This is a bug or tampering: stop, do not mask."""


def require(condition: bool, message: str) -> None:
    """Assert an invariant in a way that `python -O` cannot strip."""
    if not condition:
        raise InvariantViolation(message)
