"""Bulk import of a programme's members and historical service records (issue 14, item 6;
docs/records.md, "Importing"; decisions: docs/decisions.md, "Bulk import (issue 14)").

    sheet.py    reading a .csv or .xlsx file into a header and numbered rows; ImportRefused
    columns.py  the columns of a members and a records file; each row checked on its own
    store.py    the rows against the database (known, new, wrong) and the chunked writes
    receipt.py  the signed import receipt, and its offline verification
    run.py      one import start to end: the dry run, or check, write and sign
"""
