"""The black-box conformance kit (issue 16): `hourbridge conformance --target URL` acts as a peer
node against any node and checks, over the federation HTTP API only, that it behaves as
docs/standard.md says (docs/conformance.md).

It builds and checks signed documents with protocol/ and speaks HTTP with httpx; it imports
nothing else of node/ (tests/node/conformance/test_isolation.py), so it judges the target by
the standard and not by the reference node's code.

    peer.py          the kit's side of the link: key, directory, chain, HTTP, reading answers
    results.py       a check's outcome (pass, fail, not run) and the report
    admission.py     §5.4 and §6.3: refusals of whole transactions
    transfers.py     §7 and §9: a committed transfer, replays, prepare checks, status queries
    requests.py      §8.2 and §10: reserved types, relocation and payment requests
    settlement.py    §20: a window that matches, one repaired by descent, one disputed
    kit.py           runs the scenarios in order and returns the report
"""
