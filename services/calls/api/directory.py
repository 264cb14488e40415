"""Directory routes: import useful numbers from CSV and read one municipality's numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, UploadFile
from pydantic import BaseModel

from services.calls.api.dependency import Calls
from services.calls.directory import MAX_BYTES
from services.kernel.idempotency import Once

router = APIRouter(tags=["directory"])


class RowErrorOut(BaseModel):
    line: int
    reason: str


class ImportReportOut(BaseModel):
    numbers_added: int
    already_listed: int
    municipalities_listed: int
    errors: list[RowErrorOut]


class NumberOut(BaseModel):
    category: str
    number: str


class MunicipalityOut(BaseModel):
    istat_code: str
    name: str
    numbers: list[NumberOut]


@router.post("/directory/imports")
def import_directory(file: UploadFile, calls: Calls, once: Once) -> ImportReportOut:
    """Import a CSV of istat_code, municipality, category, number; bad rows are reported and skipped."""
    report = calls.import_directory(file.file.read(MAX_BYTES + 1), once=once)
    return ImportReportOut(
        numbers_added=report.numbers_added, already_listed=report.already_listed,
        municipalities_listed=report.municipalities_listed,
        errors=[RowErrorOut(line=e.line, reason=e.reason) for e in report.errors],
    )


@router.get("/directory/municipalities/{istat_code}")
def get_municipality(istat_code: Annotated[str, Path(pattern=r"^\d{6}$")], calls: Calls) -> MunicipalityOut:
    """One municipality's useful numbers by category."""
    view = calls.municipality(istat_code)
    return MunicipalityOut(istat_code=view.istat_code, name=view.name,
                           numbers=[NumberOut(category=c, number=n) for c, n in view.numbers])
