"""A regular gift (an imported line with a mandate reference) is a pledge made and paid like any other: it is on the
donor's list of pledges, so the donor page shows ten years of monthly gifts, not an empty list."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from uuid import UUID

from services.donations import donor_index
from services.donations.application import DonationsApplication

MANDATE = "ANGELI-RSS-0001"


def test_a_regular_gift_is_listed_among_the_donors_pledges(
        donations: DonationsApplication, giulia: UUID, famiglie: UUID) -> None:
    donations.set_up_commitment(giulia, famiglie, Decimal("10.00"), "monthly", 1, date(2026, 9, 1), None, "sepa",
                                MANDATE, date(2026, 8, 20))
    once = donations.make_pledge(giulia, famiglie, "money", Decimal("25.00"))
    lines = "\n".join([
        "donor_id,fund_id,amount,method,reference,received_at,mandate_reference",
        *(f"{giulia},{famiglie},10.00,sepa,SDD-2026{m:02d},2026-{m:02d}-02,{MANDATE}" for m in (9, 10, 11))])
    report = donations.import_gifts(io.BytesIO(lines.encode()))
    assert (report.imported, report.rejected) == (3, 0), report.lines

    listed = donor_index.donor_pledges(donations, giulia, date(2026, 11, 23))
    assert len(listed) == 4 and once in {p.id for p in listed}
    regular = [p for p in listed if p.id != once]
    assert [p.payments[0].reference for p in regular] == ["SDD-202611", "SDD-202610", "SDD-202609"]  # newest first
    assert all(p.status == "fulfilled" and p.paid == Decimal("10.00") for p in regular)
