"""Regulator reports (DESIGN §8; the documents: docs/standard.md §19; how a regulator makes and
checks them: docs/reconciliation.md, "Reports for regulators").

    document.py    the signed report envelope: kinds, file hashes, writing the three files
    evidence.py    checks of the signed statements, records and checkpoints a report embeds
    node_data.py   what a node's database says: activity by day, liability by age band,
                   discrepancies by age, its newest windows
    figures.py     pure arithmetic both the builder and the verifier run: totals, net
                   positions, unmatched pairs
    node_report.py       `hourbridge report node`
    federation.py        `hourbridge report federation` (collects over HTTP)
    render_csv.py, render_html.py, svg.py   the tables and the page with charts
    verify.py            `hourbridge verify-report`: offline, from the directory alone
"""
