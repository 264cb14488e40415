"""Query route for the directory's listing: municipalities a page at a time, by name, ISTAT code or category."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.kernel.readmodel import ReadStore
from services.projections import directory

router = APIRouter(tags=["directory"])


async def _store(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores["directory"]
    return store


class ListedNumber(BaseModel):
    category: str
    number: str = Field(description="E.164 for a full number (for tel: links), the digits for a short one")
    display: str = Field(description="as people write it, e.g. 02 8578 1")


def readable(number: str) -> str:
    """'+390285781' -> '02 8578 1' (an Italian number), international format otherwise; a short number as is."""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    national = phonenumbers.region_code_for_number(parsed) == "IT"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class ListedMunicipality(BaseModel):
    istat_code: str
    name: str
    numbers: list[ListedNumber]


class DirectoryPage(BaseModel):
    municipalities: list[ListedMunicipality]
    total: int = Field(description="municipalities matching, on every page")
    offset: int
    limit: int
    next_offset: int | None = Field(description="the offset of the next page; null on the last one")


@router.get("/directory/municipalities")
def list_municipalities(
    store: Annotated[ReadStore, Depends(_store)],
    q: Annotated[str, Query(max_length=120, description="part of the name (case and accents aside) or of the "
                                                        "ISTAT code; everything when empty")] = "",
    category: Annotated[str | None, Query(max_length=60, description="only municipalities with a number of "
                                                                     "this category (its key)")] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DirectoryPage:
    """The directory's municipalities by name, a page at a time, each with all its numbers."""
    found, total = directory.listing(store, q.strip(), category or None, offset, limit)
    following = offset + len(found)
    return DirectoryPage(
        municipalities=[ListedMunicipality(istat_code=m["istat_code"], name=m["name"],
                                           numbers=[ListedNumber(category=n["category"], number=n["number"],
                                                                display=readable(n["number"]))
                                                   for n in m["numbers"]]) for m in found],
        total=total, offset=offset, limit=limit, next_offset=following if following < total else None)
