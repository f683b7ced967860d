"""The node's time-bank standards and its people, goods, pool and statistics: thin handlers over
node/timebank (docs/timebank.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from node.api.deps import NodeDep, PrincipalDep
from node.api.replay import mark_replay, replayed
from node.forms.models import CLIENT_ID_PATTERN
from node.forms.timebank import (
    CatalogueOut,
    DistributionCreate,
    DonationCreate,
    DonationOut,
    Funding,
    FundingOut,
    KinCreate,
    KinOut,
    PolicyOut,
    PoolOut,
    ProfileOut,
    RedemptionCreate,
    RedemptionOut,
    SponsorCreate,
    SponsorOut,
    SponsorPage,
    StatisticsOut,
    Vetting,
)
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX

router = APIRouter(prefix="/api/v1", tags=["time bank"])
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
ClientId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
DAY_MS = 24 * 3600 * 1000


@router.get("/catalogue", response_model=CatalogueOut,
            summary="Service standards and exchange rates: categories, items, prices, goods, units")
def get_catalogue(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.catalogue(principal)


@router.get("/policy", response_model=PolicyOut, summary="The node's time-bank policy")
def get_policy(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.policy_document(principal)


@router.put("/members/{local_id}/vetting", response_model=ProfileOut,
            summary="Staff vet a member: hardship and/or subsidised, with a reason (audited)")
def vet(local_id: LocalId, body: Vetting, node: NodeDep, principal: PrincipalDep
        ) -> dict[str, Any]:
    return node.timebank.people.vet(principal, local_id, hardship=body.hardship,
                                    subsidised=body.subsidised, reason=body.reason)


@router.get("/members/{local_id}/vetting", response_model=ProfileOut,
            summary="A member's vetting and its history")
def get_vetting(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.people.profile(principal, local_id)


@router.post("/members/{local_id}/kin", response_model=KinOut,
             summary="Record a relative or friend the member may give hours to (staff)")
def add_kin(local_id: LocalId, body: KinCreate, node: NodeDep, principal: PrincipalDep
            ) -> dict[str, Any]:
    return node.timebank.people.add_kin(principal, local_id, relative=body.relative,
                                        relation=body.relation)


@router.get("/members/{local_id}/kin", response_model=KinOut,
            summary="The member's registered relatives and friends")
def get_kin(local_id: LocalId, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.people.kin(principal, local_id)


@router.post("/sponsors", response_model=SponsorOut,
             summary="Register a sponsor that funds hours (admin; repeat answers the same)")
def add_sponsor(body: SponsorCreate, node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.people.add_sponsor(principal, sponsor_id=body.id, name=body.name)


@router.get("/sponsors", response_model=SponsorPage, summary="Sponsors")
def list_sponsors(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": node.timebank.people.sponsors(principal)}


@router.post("/sponsors/{sponsor_id}/fundings", status_code=201, response_model=FundingOut,
             responses=replayed(FundingOut),
             summary="Sponsored hours for a member: a grant naming the sponsor (201, 200 retry)")
def fund(sponsor_id: ClientId, body: Funding, node: NodeDep, principal: PrincipalDep,
         response: Response) -> dict[str, Any]:
    record, created = node.timebank.people.fund(
        principal, sponsor_id=sponsor_id, grant_id=body.id, local_id=body.member,
        amount_minutes=body.amount_minutes, reason=body.reason)
    mark_replay(response, created=created)
    return record


@router.post("/redemptions", status_code=201, response_model=RedemptionOut,
             responses=replayed(RedemptionOut),
             summary="Exchange hours for goods where the policy allows (201, 200 retry)")
def redeem(body: RedemptionCreate, node: NodeDep, principal: PrincipalDep,
           response: Response) -> dict[str, Any]:
    record, created = node.timebank.goods.redeem(
        principal, redemption_id=body.id, member=body.member, goods=body.goods,
        quantity=body.quantity)
    mark_replay(response, created=created)
    return record


@router.get("/redemptions/{redemption_id}", response_model=RedemptionOut,
            summary="One goods redemption")
def get_redemption(redemption_id: ClientId, node: NodeDep, principal: PrincipalDep
                   ) -> dict[str, Any]:
    return node.timebank.goods.get(principal, redemption_id)


@router.post("/donations", status_code=201, response_model=DonationOut,
             responses=replayed(DonationOut),
             summary="Donate hours to this node's pool or another node's (201, 200 retry)")
def donate(body: DonationCreate, node: NodeDep, principal: PrincipalDep,
           response: Response) -> dict[str, Any]:
    record, created = node.timebank.donations.donate(
        principal, donation_id=body.id, member=body.member, amount_minutes=body.amount_minutes,
        to_node=body.to_node, reason=body.reason)
    mark_replay(response, created=created)
    return record


@router.post("/pool/distributions", status_code=201, response_model=DonationOut,
             responses=replayed(DonationOut),
             summary="Staff give pool hours to a vetted member as donated hours (201, 200 retry)")
def distribute(body: DistributionCreate, node: NodeDep, principal: PrincipalDep,
               response: Response) -> dict[str, Any]:
    record, created = node.timebank.donations.distribute(
        principal, distribution_id=body.id, member=body.member,
        amount_minutes=body.amount_minutes, reason=body.reason)
    mark_replay(response, created=created)
    return record


@router.get("/donations/{donation_id}", response_model=DonationOut,
            summary="One donation or distribution")
def get_donation(donation_id: ClientId, node: NodeDep, principal: PrincipalDep
                 ) -> dict[str, Any]:
    return node.timebank.donations.get(principal, donation_id)


@router.get("/pool", response_model=PoolOut, summary="The donation pool's balance")
def get_pool(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    return node.timebank.donations.pool(principal)


@router.get("/statistics", response_model=StatisticsOut,
            summary="Demand and supply by station, category and age band; completion, ratings")
def get_statistics(
    node: NodeDep, principal: PrincipalDep,
    from_ms: Annotated[int | None, Query(ge=0, le=INT_ABS_MAX)] = None,
    to_ms: Annotated[int | None, Query(ge=0, le=INT_ABS_MAX)] = None,
    station: Annotated[str | None, Query(pattern=LOCAL_ID_PATTERN, max_length=64)] = None,
) -> dict[str, Any]:
    """Requests posted in [from_ms, to_ms); by default the 30 days up to now."""
    end = to_ms if to_ms is not None else node.clock.now_ms()
    start = from_ms if from_ms is not None else end - 30 * DAY_MS
    return node.timebank.statistics(principal, from_ms=start, to_ms=end, station=station)
