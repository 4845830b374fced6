"""Recovering a failed run: fix the cause, resume, and nothing done is redone.

``invoice_batch_v1`` (``pgflow.examples.recovery:InvoiceBatch``)::

    charge[] ──> summary

The run input is a list of invoices; ``charge`` (a root map step) charges one
per task, ``summary`` adds up what was charged. An invoice may name a file
that must exist before it can be charged (``"needs": "/path"``), standing in
for a cause outside the code: an expired card, a missing permission. Until it
exists that element fails, its retries run out and the run fails; the other
elements complete. Create the file, then resume the run in place::

    pgflow retry RUN_ID --wait

Only the failed element runs again (its attempt history shows the earlier
failures); the completed ones are kept, and ``summary`` runs once.
"""

from __future__ import annotations

import os
from typing import NotRequired, TypedDict

from pgflow import Flow


class Invoice(TypedDict):
    invoice: int
    amount: int
    needs: NotRequired[str]


class Charge(TypedDict):
    invoice: int
    charged: int


class Summary(TypedDict):
    invoices: int
    total: int


InvoiceBatch = Flow[list[Invoice]]("invoice_batch_v1", max_attempts=2, base_delay=0, timeout=30)


@InvoiceBatch.map()
def charge(invoice: Invoice) -> Charge:
    """Charges one invoice; refuses while the file it needs does not exist."""
    needs = invoice.get("needs")
    if needs is not None and not os.path.exists(needs):
        raise RuntimeError(
            f"invoice {invoice['invoice']} cannot be charged yet: {needs} is missing"
        )
    return {"invoice": invoice["invoice"], "charged": invoice["amount"]}


@InvoiceBatch.step(charge)
def summary(run: list[Invoice], charge: list[Charge]) -> Summary:
    return {"invoices": len(charge), "total": sum(c["charged"] for c in charge)}
