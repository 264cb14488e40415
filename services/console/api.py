"""The console's spreadsheet export: every volunteer's hours as a CSV, plain for a program or in a reader's
language for a person's spreadsheet (the hours come from the projections' query, the words from the console)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.console import figures, i18n
from services.identity.auth import CurrentUser
from services.kernel.csvsafe import to_csv
from services.projections.console_api import Period, Stores, Vault, overview

router = APIRouter(prefix="/console/api", tags=["console"])
Language = Literal["it", "en"]
_CSV_LANG = ("without it, a CSV for programs and re-import (`.` decimals, `,` between cells, English headings); "
             "with it, a CSV for a person's spreadsheet in that language (it: `,` decimals and `;` between cells)")


@router.get("/hours.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def hours_csv(stores: Stores, vault: Vault, user: CurrentUser, period: Period = "week",
              lang: Annotated[Language | None, Query(description=_CSV_LANG)] = None) -> Response:
    """The same hours as a CSV file safe to open in a spreadsheet: plain, or in a reader's language."""
    hours = overview(stores, vault, user, period, idle=False)  # an idle volunteer has no row: no name is read
    rows = [("centre", "", h.period, h.shift_hours, h.talk_hours, h.calls, h.training_hours)
            for h in hours.centre]
    rows += [(str(v.volunteer_id), v.name, h.period, h.shift_hours, h.talk_hours, h.calls, h.training_hours)
             for v in hours.volunteers for h in v.periods]
    header = ("volunteer_id", "name", period, "shift_hours", "talk_hours", "calls", "training_hours")
    body, name = to_csv(header, rows), f"angeli-hours-{period}.csv"
    if lang is not None:
        body, name = _for_a_reader(lang, period, rows), f"angeli-hours-{period}-{lang}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _for_a_reader(lang: Language, period: Period, rows: list[tuple[str, str, str, float, float, int, float]]) -> str:
    """The hours for a person's spreadsheet: headings in their language, the locale's decimal mark (then `;`
    between cells, as spreadsheets of those locales expect), and a BOM so accented names open right."""
    t, f = i18n.labels(lang), figures.for_language(lang)
    header = ("ID", t["name"], t[period], t["shift_hours"], t["talk_hours"], t["calls"], t["training_hours"])
    local = [(t["centre"] if who == "centre" else who, name, when, *(f.plain_number(n) for n in numbers))
             for who, name, when, *numbers in rows]
    return "\ufeff" + to_csv(header, local, delimiter=";" if f.decimal_comma else ",")
