"""Members' personal data under the Personal Information Protection Law (issue 14, items 3, 4).

    ids          the ID-card number: checked, kept only as a keyed hash (HMAC-SHA256 under the
                 node's id-number key in the data folder) and a masked form for display
    access_log   who read or changed whose personal data, when, allowed or refused: append-only,
                 hash-chained, kept at least 180 days, exported for an audit
    records      phone, emergency contact, home address, ID number, care notes (`personal_data`)
    consents     consent per purpose; a guardian consents for a member under 14
    export       everything the node holds about a member, as one document
    erasure      anonymises a member's personal data; the ledger is never touched
    service      the one door: who may (node/notify/guard.py's rule), and every access logged

Personal data never enters the hash-chained journal; the access log names fields, never values.
"""
