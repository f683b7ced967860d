"""Notifications (issue 13): a per-member outbox of events, shown in the personal centre and
delivered to the node's channels (a signed webhook, e-mail over SMTP).

    store     enqueue a notification inside the event's own database transaction
    events    one function per kind of event, called by the services that make the event
    texts     the words, in Chinese then English, rendered from the kind and the payload
    inbox     a member's notifications: list, mark read
    contacts  where they go (personal data: least access, every access audited)
    channels  the webhook and SMTP senders
    delivery  the scheduler's tick: plan deliveries, claim one, send it, record the outcome

The package sits beside `federation`, below the exchange, the services and the time bank, so
each of them enqueues in its own write transaction; it imports only lower layers (the tables,
the clock, `access`, the system ids). What it needs of higher ones (the policy's item names,
the directory's node names) is passed in by node/runtime.py.
"""
