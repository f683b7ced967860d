"""The local time bank a node's members use every day (DESIGN §9; docs/timebank.md).

policy      the node's operating rules as data, checked against the federation's bounds
bounds      those bounds
catalogue   service categories, items, prices and goods; the "standards and exchange rates" query
requests    service requests: post, accept, check in and out, confirm and rate, pay
disputes    complaints that hold a payment until staff resolve it
visit_codes each elder's code her volunteer gives to check in; visit_key seals it at rest
parties     requests that can still move a member's hours (what blocks a relocation)
settle      how a service payment moves on the ledger (hold, release, refund, caps)
people      vetting of needy members, sponsors, the kin registry, recipient rules
donations   the donation pool, donations to it and to other nodes' pools, distributions
goods       exchange of hours for goods
stats       demand, supply, completion and ratings for staff and the regulator
"""
