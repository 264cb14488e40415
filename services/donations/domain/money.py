"""Money in euro: Decimal with cents precision, never float; the one place an amount is judged."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from services.kernel.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Far above any real gift; stops typos such as an IBAN pasted into the amount field.
MAX_AMOUNT = Decimal("100000000.00")
CURRENCY = "EUR"


class AmountNotValid(InvalidInput):
    """An amount that is not a positive number of euro with at most two decimals."""


class CurrencyNotAccepted(InvalidInput):
    """Angeli keeps its books in euro only."""


def euro(amount: Decimal | str | int, what: str = "amount") -> Decimal:
    """`amount` as euro and cents, or AmountNotValid saying why."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        raise AmountNotValid(f"{what} must be a number of euro such as 25.00, got {amount!r}") from None
    if not value.is_finite():
        raise AmountNotValid(f"{what} must be a number of euro such as 25.00, got {amount!r}")
    # Range first: quantizing an enormous or minuscule value would overflow the decimal context.
    if value <= 0:
        shown = value.quantize(CENT) if value >= -MAX_AMOUNT else value
        raise AmountNotValid(f"{what} must be positive, got {shown}")
    if value > MAX_AMOUNT:
        raise AmountNotValid(f"{what} must be at most {MAX_AMOUNT}, got {value}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise AmountNotValid(f"{what} must have at most 2 decimals (cents), got {value}")
    return value.quantize(CENT)


def require_euro(currency: str) -> None:
    if currency != CURRENCY:
        raise CurrencyNotAccepted(
            f"currency must be {CURRENCY}, got {currency!r}; convert the amount to euro before recording it"
        )
