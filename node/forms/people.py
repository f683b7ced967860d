"""Request and response bodies of signing in and family access (node/people), shared by the JSON
API and the member pages."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from node.forms.models import Closed
from node.people.codes import TYPED_CHARS_MAX
from node.people.pins import SECRET_CHARS_MAX
from protocol.addresses import LOCAL_ID_PATTERN


def _typed_number(value: Any) -> Any:
    """A member number as a person types it: surrounding spaces and capitals forgiven."""
    return value.strip().lower() if isinstance(value, str) else value


LocalIdField = Annotated[str, Field(pattern=LOCAL_ID_PATTERN, max_length=64)]
TypedLocalId = Annotated[str, BeforeValidator(_typed_number),
                         Field(pattern=LOCAL_ID_PATTERN, max_length=64,
                               description="the member number (on the member's card)")]
Secret = Annotated[str, Field(min_length=1, max_length=SECRET_CHARS_MAX,
                              description="a PIN of at least 6 digits, or a password")]


class Activation(Closed):
    code: str = Field(min_length=1, max_length=TYPED_CHARS_MAX,
                      description="the activation code, as on the paper (case and hyphens "
                                  "do not matter)")
    pin: Secret


class ActivationOut(BaseModel):
    member: str = Field(description="the member number to sign in with")


class SignInBody(Closed):
    member: TypedLocalId
    pin: Secret


class SessionOut(BaseModel):
    member: str
    acts_for: list[str] = Field(description="members this member may act for")
    csrf_token: str = Field(description="send in the X-CSRF-Token header with every request "
                                        "that changes anything while signed in by cookie")
    expires_at_ms: int = Field(description="the session ends then unless used before")


class WhoAmIOut(BaseModel):
    role: str
    member: str | None
    station: str | None
    acts_for: list[str]
    session: bool = Field(description="signed in by a member session (cookie), not a token")
    csrf_token: str | None
    expires_at_ms: int | None


class SignOutOut(BaseModel):
    signed_out: bool


class InvitationOut(BaseModel):
    member: str
    code: str = Field(description="shown this once: the node keeps only its hash")
    expires_at_ms: int
    activation_path: str
    activation_url: str
    qr_svg: str = Field(description="the activation URL as a QR code, an SVG document")


class EventLine(BaseModel):
    action: str
    actor: str
    detail: str
    at_ms: int


class CredentialOut(BaseModel):
    member: str
    has_pin: bool
    failed_count: int
    locked_until_ms: int | None
    set_at_ms: int | None
    last_sign_in_at_ms: int | None
    invitation_expires_at_ms: int | None = Field(description="an open invitation's expiry")
    events: list[EventLine] = Field(description="recent sign-in events, newest first")


class DelegateCreate(Closed):
    delegate: LocalIdField = Field(description="a member of this node in the member's kin "
                                               "registry")


class DelegateOut(BaseModel):
    member: str
    delegate: str
    granted_by: str
    granted_at_ms: int
    revoked_by: str | None
    revoked_at_ms: int | None
    active: bool


class DelegatePage(BaseModel):
    member: str
    items: list[DelegateOut]
