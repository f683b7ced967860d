"""The federation exchange: signed transactions between nodes (docs/federation.md).

    store.py      links, the outbox and stored transactions (SQL only)
    transport.py  how bytes reach a peer (HTTP; tests plug in-process or faulty transports)
    outbound.py   the sender: batch the outbox into one signed transaction per peer, send it,
                  apply the signed response
    answers.py    what the debtor's node does with each answer (receipts, rejects, status)
    inbound.py    the receiver: authenticate, place on the chain, answer every message
    requests.py   what the creditor's node does with each request (prepares, status queries)
    runner.py     background loops: one sender per peer with backoff and a circuit breaker,
                  and the expiry tick that puts unanswered transfers in doubt
    clockwatch.py our clock against peers' signed times (offsets, logged once), and steps of
                  our own clock back (the outbox's send times move back with them)
"""
