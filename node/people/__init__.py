"""Members signing in (issue 13): invitations, PINs, sessions and family delegates.

    codes.py        one-time activation codes: made, read back from what a person typed, hashed
    pins.py         which PINs are refused; Argon2id hashing with a bound on concurrent checks
    throttle.py     lockout per member number and a limiter per client
    sessions.py     member sessions in memory: cookie id, CSRF secret, idle and absolute ends
    invitations.py  invite, reset, activate, and a member's sign-in status for staff
    signin.py       sign in, sign out, and the principal of a session
    delegates.py    who may act for whom
    records.py      the audit trail and the credential writes they share
    centre.py       what the personal centre (node/centre/) reads: names behind a member's
                    own records, her transfers still on their way
    service.py      PeopleService: what the JSON API and the member pages call

Both faces (node/api/routes/people*.py and the member pages) call PeopleService with the same
rules and role checks; see docs/members.md and docs/decisions.md ("Members signing in").
"""
