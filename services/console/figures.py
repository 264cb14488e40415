"""Figures in the reader's language: money, numbers, days and months as CLDR writes them (through Babel).

Each console language stands for one locale; the pages' scripts format with the browser's Intl and the same
locale tag (`data-locale` on the page), so a figure reads the same whether the server or a script wrote it.
Days are the centre's (Europe/Rome), as on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal, get_decimal_symbol

# English readers of an Italian charity: British conventions (day before month, like the Italians).
LOCALES = {"it": "it_IT", "en": "en_GB"}
CENTRE = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class Figures:
    locale: str  # Babel's spelling, it_IT

    @property
    def tag(self) -> str:
        """The same locale as a BCP 47 tag (it-IT), for the browser's Intl."""
        return self.locale.replace("_", "-")

    def money(self, euro: str | Decimal) -> str:
        """`142000.00` → `142.000,00 €` (it) or `€142,000.00` (en)."""
        return format_currency(Decimal(euro), "EUR", locale=self.locale)

    def number(self, value: int | float | Decimal, decimals: int = 0) -> str:
        """A count or a measure with exactly `decimals` decimals: `1.234` (it), `1,234.5` (en, 1 decimal)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def plain_number(self, value: int | float | Decimal) -> str:
        """A number for a spreadsheet cell: the locale's decimal mark, no grouping (`1234,5` in it)."""
        return format_decimal(value, locale=self.locale, group_separator=False)

    def day(self, when: str | date | datetime) -> str:
        """A day, numeric (`02/12/2026`); an instant is first placed in the centre's time zone."""
        if isinstance(when, str):
            when = datetime.fromisoformat(when) if len(when) > 10 else date.fromisoformat(when)
        if isinstance(when, datetime):
            when = when.astimezone(CENTRE).date()
        return format_skeleton("yMd", when, locale=self.locale)

    def month(self, month: str) -> str:
        """`2026-11` → `novembre 2026` (it) or `November 2026` (en)."""
        return format_skeleton("yMMMM", date.fromisoformat(f"{month}-01"), locale=self.locale)

    @property
    def decimal_comma(self) -> bool:
        return get_decimal_symbol(self.locale) == ","


def for_language(language: str) -> Figures:
    return Figures(LOCALES[language])
