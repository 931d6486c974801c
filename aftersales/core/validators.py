"""Validators for the identifiers Chinese after-sales work runs on.

Each `validate_*` raises `ValidationError` with a translated message; each `normalize_*` turns what
people type (spaces, lower case, full-width characters) into the stored form. ID-card and credit
code checks come from python-stdnum.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import imei as stdnum_imei
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import ValidationError as StdnumError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTER = "A-HJ-NP-Z"  # plate letters never use I or O
_PLATE_PATTERNS = (
    # standard blue/yellow plates: 京A12345, also 粤B1234学 / 京A1234警 / 粤Z1234港
    re.compile(rf"^[{PROVINCES}][{_PLATE_LETTER}][{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂学警港澳]$"),
    # new-energy small cars: D (electric) or F (hybrid) first, then a letter or digit and four digits: 粤BD12345
    re.compile(rf"^[{PROVINCES}][{_PLATE_LETTER}][DF][{_PLATE_LETTER}0-9][0-9]{{4}}$"),
    # new-energy large vehicles: five digits, then D or F: 粤B12345D
    re.compile(rf"^[{PROVINCES}][{_PLATE_LETTER}][0-9]{{5}}[DF]$"),
)
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def to_halfwidth(value: str) -> str:
    """Full-width letters and digits (ＡＢＣ１２３) as their ASCII forms."""
    return unicodedata.normalize("NFKC", value)


def _compact(value: str) -> str:
    return re.sub(r"[\s·\-]", "", to_halfwidth(value or "")).upper()


# -- mobile -----------------------------------------------------------------------------------------------------------


def normalize_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", to_halfwidth(value or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def validate_mobile(value: str) -> None:
    if value and not _MOBILE.match(value):
        raise ValidationError(
            _("%(value)s is not a mainland mobile number: 11 digits starting with 13–19."),
            code="invalid_mobile",
            params={"value": value},
        )


# -- vehicle plate ----------------------------------------------------------------------------------------------------


def normalize_plate(value: str) -> str:
    return _compact(value)


def validate_plate(value: str) -> None:
    if value and not any(pattern.match(value) for pattern in _PLATE_PATTERNS):
        raise ValidationError(
            _("%(value)s is not a valid plate: e.g. 京A12345, or 粤BD12345 for a new-energy vehicle."),
            code="invalid_plate",
            params={"value": value},
        )


# -- VIN --------------------------------------------------------------------------------------------------------------


def normalize_vin(value: str) -> str:
    return _compact(value)


def validate_vin(value: str) -> None:
    """17 characters, digits and capital letters without I, O and Q (ISO 3779)."""
    if not value:
        return
    if len(value) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; %(value)s has %(length)d."),
            code="invalid_vin",
            params={"value": value, "length": len(value)},
        )
    if not _VIN.match(value):
        raise ValidationError(
            _("%(value)s is not a valid VIN: only digits and capital letters, never I, O or Q."),
            code="invalid_vin",
            params={"value": value},
        )


def vin_check_digit(value: str) -> str:
    """The check digit a VIN's ninth character should be (0–9 or X)."""
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(value, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_check_digit_ok(value: str) -> bool:
    return len(value) == 17 and bool(_VIN.match(value)) and value[8] == vin_check_digit(value)


# -- IMEI -------------------------------------------------------------------------------------------------------------


def normalize_imei(value: str) -> str:
    return re.sub(r"[\s\-/]", "", to_halfwidth(value or ""))


def validate_imei(value: str) -> None:
    """15 digits whose last is the Luhn check digit."""
    if not value:
        return
    if not re.fullmatch(r"[0-9]{15}", value) or not stdnum_imei.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid IMEI: 15 digits with a correct check digit."),
            code="invalid_imei",
            params={"value": value},
        )


# -- resident ID card and unified social credit code ------------------------------------------------------------------


def normalize_id_number(value: str) -> str:
    return _compact(value)


def validate_id_card(value: str) -> None:
    """An 18-character resident ID card number with a valid birth date and check character."""
    if not value:
        return
    try:
        stdnum_ric.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid resident ID card number."), code="invalid_id_card", params={"value": value}
        ) from exc


def validate_credit_code(value: str) -> None:
    """An 18-character unified social credit code (统一社会信用代码) with a valid check character."""
    if not value:
        return
    try:
        stdnum_uscc.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid unified social credit code."),
            code="invalid_credit_code",
            params={"value": value},
        ) from exc
