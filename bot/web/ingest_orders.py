"""`POST /ingest/orders`: orders (and refunds) from a shop or ERP, in signed batches, for RFM.

The body is `{"orders": [...]}`, at most `MAX_BATCH` rows, each

    {"order_id": "…", "external_userid": "wm…", "amount": 12.5 or "12.50" (yuan),
     "paid_at": unix seconds or milliseconds, or "2026-11-01 12:30" (corp time),
     "refunded": true (optional: removes the order; then only order_id is needed)}

— the same rows a CSV import takes (`bot.rfm.orders`). Every row is checked on its own: the valid
ones are stored in their order (an order id sent again replaces the order), the others come back
in `errors` with their index and what is wrong. A batch that is too large or not signed is
refused whole (see `bot.web.signed`). The segments are recomputed by the daily run, not here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import HANDLER_CONTEXT
from bot.rfm.orders import Applied, OrderError, OrderRow, parse_order
from bot.web.signed import (
    IngestError,
    answers_refusals,
    batch_answer,
    batch_rows,
    signed_json,
)

MAX_BATCH = 1000
# 1,000 order rows are ~150 KB as JSON; room for long ids and extra fields, read unsigned
MAX_BODY_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why the row at `index` of a batch was not taken."""

    index: int
    order_id: str
    error: str


def parse_batch(payload: Any, now: float) -> tuple[list[OrderRow], list[RowProblem]]:
    """The valid rows of a batch and a problem per invalid one; `IngestError` when the batch as
    a whole is malformed or too large."""
    rows = batch_rows(payload, "orders", "订单", MAX_BATCH)
    valid: list[OrderRow] = []
    problems: list[RowProblem] = []
    for index, row in enumerate(rows):
        try:
            valid.append(parse_order(row, now))
        except OrderError as exc:
            order_id = str(row.get("order_id") or "")[:128] if isinstance(row, dict) else ""
            problems.append(RowProblem(index, order_id, str(exc)))
    return valid, problems


@answers_refusals
async def ingest_orders(request: web.Request) -> web.StreamResponse:
    """Take a signed batch: 200 with counts and per-row errors; 422 when no row was valid."""
    config = request.config_dict
    async with signed_json(request, MAX_BODY_BYTES) as payload:
        rows, problems = parse_batch(payload, time.time())
        try:
            applied = await config[HANDLER_CONTEXT].services.orders.apply(rows)
        except (RedisError, OSError):
            raise IngestError(503, "unavailable", "暂时无法保存，请稍后用同一批订单重试") from None
    return batch_answer(_counts(rows, applied, problems), valid=len(rows), rejected=len(problems))


def _counts(rows: list[OrderRow], applied: Applied, problems: list[RowProblem]) -> dict[str, Any]:
    return {
        "accepted": len(rows),  # orders stored and refunds taken
        "removed": applied.removed,  # orders a refund actually removed
        "rejected": len(problems),
        "errors": [{"index": p.index, "order_id": p.order_id, "error": p.error} for p in problems],
    }


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/ingest/orders", ingest_orders)
