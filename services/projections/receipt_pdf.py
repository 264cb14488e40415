"""Receipt documents: one numbered donation receipt as a PDF a donor can keep for a tax deduction (pure: values in,
bytes out).

Byte for byte reproducible: the same receipt rendered twice — now or in ten years, on any machine with the same
fpdf2 and fonts — gives the same bytes. Nothing in the file comes from the clock or chance: the PDF's creation date
is the receipt's own day (midnight in Rome), fpdf2 writes no modification date and derives the file /ID from the
content, and the embedded font subset is cut in a fixed order. The verification line names the receipt's ledger
entry and the chain digest after that entry (the ledger's head when it was written), which never change once sealed,
so a later payment does not change an earlier receipt.

Fonts: Debian's DejaVu Sans when installed (fonts-dejavu-core), embedded as a subset; else the PDF core font
Helvetica, whose Latin-1 repertoire still writes Italian accents.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_currency
from fontTools import subset  # type: ignore[import-untyped]  # fpdf2's own dependency, untyped
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from num2words import num2words  # type: ignore[import-untyped]

from services.kernel.settings import CharitySettings

ROME = ZoneInfo("Europe/Rome")
# The font cutter (fontTools, here and inside fpdf2 at every render) logs each glyph list at INFO: kilobytes per
# receipt in the product's log. Its warnings still come through.
logging.getLogger("fontTools").setLevel(logging.WARNING)
LANGUAGES = ("it", "en")
LOCALES = {"it": "it_IT", "en": "en_GB"}  # as the console writes figures (console/figures.py)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Every character a receipt needs in the common case: Latin-1, Latin Extended-A (names), typographic punctuation
# and the euro sign. A name outside it (Cyrillic, Greek...) is written with the whole DejaVu font instead.
REPERTOIRE = "".join(map(chr, [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x20AC, 0x2013, 0x2014, 0x2018, 0x2019,
                                0x201C, 0x201D, 0x2022, 0x2026, 0x202F]))

LABELS: dict[str, dict[str, str]] = {
    "title": {"it": "Ricevuta di erogazione liberale", "en": "Receipt for a charitable donation"},
    "number": {"it": "Ricevuta n.", "en": "Receipt no."},
    "tax_code": {"it": "Codice fiscale", "en": "Tax code"},
    "issuer": {"it": "Ente che riceve", "en": "Received by"},
    "donor": {"it": "Donatore", "en": "Donor"},
    "erased": {"it": "dati del donatore cancellati su sua richiesta", "en": "the donor's data was erased at their "
               "request"},
    "amount": {"it": "Importo", "en": "Amount"},
    "in_words": {"it": "In lettere", "en": "In words"},
    "date": {"it": "Data", "en": "Date"},
    "method": {"it": "Metodo di pagamento", "en": "Payment method"},
    "declaration": {
        "it": "L'ente dichiara di aver ricevuto la somma indicata a titolo di erogazione liberale, senza alcuna "
              "controprestazione. Conservare la ricevuta ai fini della detrazione o deduzione fiscale.",
        "en": "The charity declares that it received the amount above as a gift, with nothing given in return. "
              "Keep this receipt for a tax deduction."},
    "void": {"it": "ANNULLATA il", "en": "VOID since"},
    "verification": {"it": "Verifica: registro delle donazioni, sequenza {sequence}; impronta della catena "
                           "(sha256) a quella sequenza:",
                     "en": "Verification: donation ledger sequence {sequence}; chain head digest (sha256) at that "
                           "sequence:"},
}
METHODS: dict[str, dict[str, str]] = {
    "bank_transfer": {"it": "bonifico bancario", "en": "bank transfer"},
    "card": {"it": "carta di pagamento", "en": "payment card"},
    "paypal": {"it": "PayPal", "en": "PayPal"},
    "sepa": {"it": "addebito diretto SEPA", "en": "SEPA direct debit"},
    "cash": {"it": "contanti", "en": "cash"},
}


@dataclass(frozen=True)
class ReceiptDocument:
    """What one receipt shows. `donor_name` None: the donor was erased (the receipt keeps its number and amount)."""

    number: str
    issued_on: date
    amount: Decimal
    method: str
    donor_name: str | None
    donor_tax_code: str | None
    ledger_sequence: int
    ledger_digest: str
    voided_on: date | None = None


def amount_in_words(amount: Decimal, lang: str) -> str:
    """`50.00` → "cinquanta euro e zero centesimi" (it), "fifty euro, zero cents" (en)."""
    words = str(num2words(amount, lang=lang, to="currency", currency="EUR"))
    if lang == "it":  # "un milione euro" → "un milione di euro", as Italian writes round millions
        words = words.replace("milione euro", "milione di euro").replace("milioni euro", "milioni di euro")
    return words


def render(receipt: ReceiptDocument, charity: CharitySettings, lang: str = "it") -> bytes:
    """The receipt as PDF bytes in `lang` (it or en); the same arguments always give the same bytes."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    pdf = _Sheet(_fonts_for(receipt, charity))
    pdf.set_creation_date(datetime(receipt.issued_on.year, receipt.issued_on.month, receipt.issued_on.day,
                                   tzinfo=ROME))
    pdf.set_title(f"{LABELS['title'][lang]} {receipt.number}")
    pdf.set_author(charity.name)
    pdf.set_creator("Angeli")
    pdf.add_page()
    _write(pdf, receipt, charity, lang)
    return bytes(pdf.output())


def _write(pdf: _Sheet, receipt: ReceiptDocument, charity: CharitySettings, lang: str) -> None:
    def label(key: str) -> str:
        return LABELS[key][lang]

    pdf.line_of(f"{label('title')}", size=16, bold=True)
    pdf.line_of(f"{label('number')} {receipt.number}", size=12, bold=True, gap=4)
    if receipt.voided_on is not None:
        pdf.line_of(f"{label('void')} {_day(receipt.voided_on, lang)}", size=12, bold=True, gap=4)
    pdf.heading(label("issuer"))
    pdf.line_of(charity.name, bold=True)
    pdf.line_of(f"{label('tax_code')}: {charity.tax_code}")
    pdf.line_of(charity.address, gap=4)
    pdf.heading(label("donor"))
    if receipt.donor_name is None:
        pdf.line_of(label("erased"), gap=4)
    else:
        pdf.line_of(receipt.donor_name, bold=True)
        pdf.line_of(f"{label('tax_code')}: {receipt.donor_tax_code or '—'}", gap=4)
    pdf.heading(label("amount"))
    pdf.line_of(format_currency(receipt.amount, "EUR", locale=LOCALES[lang]), size=14, bold=True)
    pdf.paragraph(f"{label('in_words')}: {amount_in_words(receipt.amount, lang)}", gap=4)
    pdf.line_of(f"{label('date')}: {_day(receipt.issued_on, lang)}")
    pdf.line_of(f"{label('method')}: {METHODS.get(receipt.method, {}).get(lang, receipt.method)}", gap=6)
    pdf.paragraph(label("declaration"), size=9, gap=8)
    pdf.paragraph(label("verification").format(sequence=receipt.ledger_sequence), size=8)
    pdf.line_of(receipt.ledger_digest, size=8)


def _day(day: date, lang: str) -> str:
    return str(format_skeleton("yMd", day, locale=LOCALES[lang]))


class _Sheet(FPDF):
    """An A4 page written top to bottom in one family: lines, wrapped paragraphs and small headings."""

    def __init__(self, fonts: tuple[str, str] | None) -> None:
        super().__init__(format="A4")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        self._embedded = fonts is not None
        if fonts is not None:
            self.add_font("DejaVu", "", fonts[0])
            self.add_font("DejaVu", "B", fonts[1])
        self.core_fonts_encoding = "windows-1252"  # Latin-1 and the euro sign, for the core font
        self._family = "DejaVu" if fonts is not None else "Helvetica"

    def _text(self, text: str) -> str:
        # The core font writes Windows-1252 (Italian accents, the euro sign); anything else becomes "?".
        return text if self._embedded else text.encode("windows-1252", "replace").decode("windows-1252")

    def line_of(self, text: str, size: float = 11, bold: bool = False, gap: float = 0) -> None:
        self.set_font(self._family, "B" if bold else "", size)
        self.cell(0, size * 0.5, self._text(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def paragraph(self, text: str, size: float = 11, gap: float = 0) -> None:
        self.set_font(self._family, "", size)
        if self.get_string_width(self._text(text)) <= self.epw:  # one line: a cell, without the costly line breaker
            self.line_of(text, size, gap=gap)
            return
        self.multi_cell(0, size * 0.5, self._text(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def heading(self, text: str) -> None:
        self.set_text_color(90, 90, 90)
        self.line_of(text.upper(), size=8, bold=True, gap=1)
        self.set_text_color(0, 0, 0)


def _fonts_for(receipt: ReceiptDocument, charity: CharitySettings) -> tuple[str, str] | None:
    """DejaVu cut to the common repertoire when every character is in it (much faster to embed), the whole
    DejaVu otherwise, None (the core font) where DejaVu is not installed."""
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return None
    texts = (receipt.donor_name or "", receipt.donor_tax_code or "", charity.name, charity.address)
    if all(c in _REPERTOIRE_SET for text in texts for c in text):
        return _cut(str(regular)), _cut(str(bold))
    return str(regular), str(bold)


_REPERTOIRE_SET = frozenset(REPERTOIRE)


@cache
def _cut(path: str) -> str:
    """The font at `path` reduced to REPERTOIRE, written once per process into a temporary folder."""
    font = TTFont(path)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += ["FFTM"]  # FontForge's timestamp, which the cutter would only warn about
    cutter = subset.Subsetter(options)
    cutter.populate(text=REPERTOIRE)
    cutter.subset(font)
    target = Path(_folder().name) / Path(path).name
    font.save(str(target))
    return str(target)


@cache
def _folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="angeli-fonts-")
