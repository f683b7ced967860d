"""The regulator's portal (issue 15, item 1): 民政局's own view of the federation, served by the
authority's side, never by a node.

    folder.py     the portal's private folder: its settings, regulator tokens per node,
                  accounts, the sign-in audit and the history of signed reports
    accounts.py   regulator accounts (passwords hashed as staff passwords are) and signing in,
                  with the staff logins' lockout and per-client limit
    history.py    making a federation report now (node/reports/federation.py, signed by the
                  authority key) into a dated folder of the history; reading it back, verified
    schedule.py   the daily report (apscheduler), and "现在生成" on demand, one at a time
    view.py       what the pages show, computed from one signed report and the directory
    trend.py      outstanding hours and debts over the history, as an inline SVG chart
    export.py     the dashboard's tables as CSV and as an Excel workbook
    web.py, pages.py   the server-rendered pages (FastAPI + Jinja2, like node/console/)

What a regulator reads is always a signed report kept in the history: every figure on a page
links to the file it came from, which `hourbridge verify-report` checks offline.
"""
