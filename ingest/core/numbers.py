"""Numbers as published, read strictly: one parser for every source that turns text into a number.

Python's `float()` and `int()` read far more than any publisher writes: an
exponent (`1e3`), digits of any script (full-width `１２３`, Arabic-Indic
`١٢３`), underscores (`1_000`), `nan`, `inf`, surrounding Unicode spaces. A cell
such as `1e3` in a count column is a broken export, not a thousand officers,
so every source reads its numbers here: ASCII digits only; a sign only where
the column may be negative (`sign=True`); a decimal point only where the
column has fractions (`fraction=True`); thousands separators only where the
published format uses them (`thousands=True`: `1,976`, groups of exactly three
digits); never an exponent, an underscore, or a non-finite value. Anything
else is a SourceFormatError naming `what` and the text, so the batch is
quarantined rather than loaded with a number nobody published.

Callers strip the padding their format allows (a CSV cell's spaces) before
asking; the text given here must be the number and nothing else.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ingest.core.errors import SourceFormatError

_DIGITS = "[0-9]+"  # ASCII only: `\d` would take every script's digits
_GROUPED = "[0-9]{1,3}(?:,[0-9]{3})+"


@lru_cache(maxsize=None)
def _pattern(sign: bool, thousands: bool, fraction: bool) -> re.Pattern[str]:
    whole = f"(?:{_GROUPED}|{_DIGITS})" if thousands else _DIGITS
    body = f"{whole}(?:\\.[0-9]+)?" if fraction else whole
    return re.compile(("[+-]?" if sign else "") + body)


def _allowed(sign: bool, thousands: bool, fraction: bool) -> str:
    parts = ["ASCII digits"]
    if sign:
        parts.append("a sign")
    if fraction:
        parts.append("a decimal point")
    if thousands:
        parts.append("thousands commas")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def is_number(text: object, *, sign: bool = False, thousands: bool = False, fraction: bool = True) -> bool:
    """True when `text` is a number this module would read with the same options."""
    return isinstance(text, str) and _pattern(sign, thousands, fraction).fullmatch(text) is not None


def parse_number(text: object, *, what: str, sign: bool = False, thousands: bool = False,
                 fraction: bool = True) -> float:
    """`text` as a finite float, or a SourceFormatError naming `what`: see the module's rules."""
    if not is_number(text, sign=sign, thousands=thousands, fraction=fraction):
        raise SourceFormatError(f"{what}: {text!r} is not a number (only {_allowed(sign, thousands, fraction)}; "
                                "no exponent, no other script's digits)")
    value = float(text.replace(",", "") if thousands else text)  # type: ignore[union-attr]
    if not math.isfinite(value):
        raise SourceFormatError(f"{what}: {text!r} is too large to be a finite number")
    return value


def parse_integer(text: object, *, what: str, sign: bool = False, thousands: bool = False) -> int:
    """`text` as an int: ASCII digits (and a sign / thousands commas where allowed), nothing else."""
    if not is_number(text, sign=sign, thousands=thousands, fraction=False):
        raise SourceFormatError(f"{what}: {text!r} is not a whole number (only {_allowed(sign, thousands, False)}; "
                                "no exponent, no other script's digits)")
    return int(text.replace(",", "") if thousands else text)  # type: ignore[union-attr]


def plain(value: float) -> str:
    """A finite float as positional text, never an exponent (`5e-05` → `0.00005`), as a CSV export writes it."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" not in text and "E" not in text:
        return text
    from decimal import Decimal

    return format(Decimal(text), "f")
