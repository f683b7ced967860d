"""The plain FastAPI limit: the node's transfer route with nothing behind it.

    python scripts/bench_plain_app.py PORT

Same framework, server and settings as `hourbridge serve` (uvicorn, one process, no access
log), same path, a bearer token read from the header and a Pydantic model of the same body,
answered 201 with the body echoed. No authentication lookup, no database, no ledger: what any
FastAPI service on this machine pays per request, the ceiling for the node's HTTP figures.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI()


class Transfer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    from_: str = Field(alias="from")
    to: str
    amount_minutes: int = Field(gt=0)
    memo: str = ""


@app.post("/api/v1/transfers", status_code=201, response_model=Transfer,
          response_model_by_alias=True)
async def create_transfer(body: Transfer, authorization: str = Header()) -> Transfer:
    return body


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
