"""Directory routes: import useful numbers from CSV (with a preview first), list a municipality with its first
numbers, rename it, add and remove numbers; read one municipality's numbers and the categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import Calls
from services.calls.directory import MAX_BYTES, ImportReport
from services.calls.domain.directory import CATEGORIES, readable
from services.calls.views import MunicipalityView
from services.kernel.errors import InvalidInput
from services.kernel.idempotency import Once

router = APIRouter(tags=["directory"])
Istat = Annotated[str, Path(pattern=r"^\d{6}$", description="the municipality's ISTAT code, 6 digits")]


class FileTooLarge(InvalidInput):
    status_code = 413


class RowErrorOut(BaseModel):
    line: int
    reason: str


class ImportLineOut(BaseModel):
    line: int
    outcome: str = Field(description="imported (a new number), unchanged (already listed) or rejected")
    reason: str = Field(description="why the line was rejected; empty otherwise")
    istat_code: str
    municipality: str
    category: str
    number: str


class ImportReportOut(BaseModel):
    numbers_added: int
    already_listed: int
    municipalities_listed: int
    errors: list[RowErrorOut]
    lines: list[ImportLineOut] = Field(description="every line of the file after the header, in order")
    committed: bool = Field(description="false for a preview: nothing was stored")


class NumberOut(BaseModel):
    category: str
    number: str = Field(description="E.164 for a full number (for tel: links), the digits for a short one")
    display: str = Field(description="as people write it, e.g. 02 8578 1")


class MunicipalityOut(BaseModel):
    istat_code: str
    name: str
    numbers: list[NumberOut]


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=60, description="one of GET /directory/categories, "
                                                                    "or one of its Italian names")
    number: str = Field(min_length=1, max_length=30, description="an Italian number, full or short (118)")


class MunicipalityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    istat_code: str = Field(pattern=r"^\d{6}$")
    name: str = Field(min_length=1, max_length=120)
    numbers: list[NumberIn] = Field(default_factory=list, max_length=50)


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)


class CategoryOut(BaseModel):
    key: str
    names: list[str]


def _upload(file: UploadFile) -> bytes:
    raw = file.file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_BYTES} bytes; split it into smaller files")
    return raw


def _report(report: ImportReport) -> ImportReportOut:
    return ImportReportOut(
        numbers_added=report.numbers_added, already_listed=report.already_listed,
        municipalities_listed=report.municipalities_listed,
        errors=[RowErrorOut(line=e.line, reason=e.reason) for e in report.errors],
        lines=[ImportLineOut(line=x.line, outcome=x.outcome, reason=x.reason, istat_code=x.istat_code,
                             municipality=x.municipality, category=x.category, number=x.number) for x in report.lines],
        committed=report.committed,
    )


def _municipality(view: MunicipalityView) -> MunicipalityOut:
    return MunicipalityOut(istat_code=view.istat_code, name=view.name,
                           numbers=[NumberOut(category=c, number=n, display=readable(n)) for c, n in view.numbers])


@router.post("/directory/imports")
def import_directory(file: UploadFile, calls: Calls, once: Once) -> ImportReportOut:
    """Import a CSV of istat_code, municipality, category, number (at most 5 MB); bad rows are reported and
    skipped; importing the same file again changes nothing."""
    return _report(calls.import_directory(_upload(file), once=once))


@router.post("/directory/imports/preview")
def preview_directory_import(file: UploadFile, calls: Calls) -> ImportReportOut:
    """What importing the file would do, line by line (imported, unchanged, rejected and why); stores nothing."""
    return _report(calls.preview_directory_import(_upload(file)))


@router.get("/directory/categories")
def directory_categories() -> list[CategoryOut]:
    """The directory's categories, each with the other names it is accepted under."""
    return [CategoryOut(key=key, names=list(names)) for key, names in CATEGORIES.items()]


@router.post("/directory/municipalities", status_code=201)
def list_municipality(body: MunicipalityIn, calls: Calls, once: Once) -> MunicipalityOut:
    """Add a municipality to the directory with its first numbers; an ISTAT code already listed is a conflict."""
    view = calls.list_municipality(body.istat_code, body.name, [(n.category, n.number) for n in body.numbers],
                                   once=once)
    return _municipality(view)


@router.get("/directory/municipalities/{istat_code}")
def get_municipality(istat_code: Istat, calls: Calls) -> MunicipalityOut:
    """One municipality's useful numbers by category."""
    return _municipality(calls.municipality(istat_code))


@router.post("/directory/municipalities/{istat_code}/rename")
def rename_municipality(istat_code: Istat, body: RenameIn, calls: Calls, once: Once) -> MunicipalityOut:
    """Correct a municipality's name (its ISTAT code stays)."""
    return _municipality(calls.rename_municipality(istat_code, body.name, once=once))


@router.post("/directory/municipalities/{istat_code}/numbers")
def add_number(istat_code: Istat, body: NumberIn, calls: Calls, once: Once) -> MunicipalityOut:
    """Add a number under a category; a number already listed there changes nothing."""
    return _municipality(calls.add_directory_number(istat_code, body.category, body.number, once=once))


@router.post("/directory/municipalities/{istat_code}/numbers/remove")
def remove_number(istat_code: Istat, body: NumberIn, calls: Calls, once: Once) -> MunicipalityOut:
    """Remove a number from a category; 404 when it is not listed there."""
    return _municipality(calls.remove_directory_number(istat_code, body.category, body.number, once=once))
