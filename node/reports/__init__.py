"""Regulator reports (DESIGN §8; the documents: docs/standard.md §19; how a regulator makes and
checks them: docs/reconciliation.md, "Reports for regulators").

    document.py    the signed report envelope: kinds, file hashes, writing the three files
    evidence.py    checks of the signed statements, records and checkpoints a report embeds
    node_data.py   what a node's database says: activity by day, liability by age band,
                   discrepancies by age, transfers in doubt, frozen links
    quality.py     service quality and transfers in doubt: the node's claim, self-checked
    figures.py     pure arithmetic both the builder and the verifier run: totals, net
                   positions, unmatched pairs
    aggregates.py  federation-wide sums of the embedded node reports
    settlement.py  settlement through hubs: bilateral positions against the multilateral net,
                   federation-wide and per hub of the link map (pure, like figures.py)
    node_checks.py every check of a node report (alone or embedded in a federation report)
    node_report.py       `hourbridge report node`
    collect.py           what the federation report fetches from every node over HTTP
    federation.py        `hourbridge report federation`
    render_csv.py, render_html.py, html_parts.py, settlement_html.py, svg.py
                         the tables and the page with charts
    summary.py           the three questions in words: hours outstanding, who owes whom, status
    words.py             the reader's units: hours and minutes, local time, Chinese labels
    verify.py            `hourbridge verify-report`: offline, from the directory alone
"""
