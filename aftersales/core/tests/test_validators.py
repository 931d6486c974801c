"""The identifiers after-sales work runs on: what people type, what is stored, what is refused.

Every example is a real-format value. The VIN check digits were computed by hand with the ISO 3779
weights (8 7 6 5 4 3 2 10 · 9 8 7 6 5 4 3 2, sum mod 11, 10 → X); the ID-card and credit-code
examples were checked with python-stdnum.
"""

import pytest
from django.core.exceptions import ValidationError

from aftersales.core.validators import (
    normalize_id_number,
    normalize_imei,
    normalize_mobile,
    normalize_plate,
    normalize_vin,
    to_halfwidth,
    validate_credit_code,
    validate_id_card,
    validate_imei,
    validate_mobile,
    validate_plate,
    validate_vin,
    vin_check_digit,
    vin_check_digit_ok,
)


def _refused(validator, value) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value


# -- full-width input -------------------------------------------------------------------------------------------------


def test_full_width_letters_and_digits_become_ascii():
    assert to_halfwidth("ＡＢＣ１２３") == "ABC123"


def test_full_width_plate_with_ideographic_space_is_normalised_and_valid():
    plate = normalize_plate("粤Ｂ\u3000Ｄ１２３４５")

    assert plate == "粤BD12345"
    validate_plate(plate)


# -- mobile numbers ---------------------------------------------------------------------------------------------------


def test_mainland_mobile_number_is_accepted():
    validate_mobile("13800138000")
    validate_mobile("19912345678")


@pytest.mark.parametrize(
    "value",
    [
        "12800138000",  # second digit must be 3–9
        "1380013800",  # ten digits
        "138001380000",  # twelve digits
        "23800138000",  # must start with 1
        "1380013800a",
    ],
)
def test_malformed_mobile_number_is_refused(value):
    error = _refused(validate_mobile, value)

    assert error.code == "invalid_mobile"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (" 13800138000 ", "13800138000"),
    ],
)
def test_mobile_number_as_typed_is_normalised_to_eleven_digits(typed, stored):
    normalised = normalize_mobile(typed)

    assert normalised == stored
    validate_mobile(normalised)


def test_empty_mobile_is_left_to_the_field_being_optional():
    validate_mobile("")


# -- vehicle plates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plate",
    [
        "京A12345",  # standard blue plate
        "沪C8K9M2",  # letters among the last five (never I or O)
        "粤BD12345",  # new-energy small car, electric
        "粤BF12345",  # new-energy small car, hybrid
        "粤BDA1234",  # new-energy small car with a letter in second place
        "粤B12345D",  # new-energy large vehicle
        "京A1234学",  # driving-school car
        "京A1234警",  # police
        "粤Z1234港",  # Hong Kong cross-border
        "冀B1234挂",  # trailer
    ],
)
def test_standard_and_new_energy_plates_are_accepted(plate):
    validate_plate(plate)


@pytest.mark.parametrize(
    "plate",
    [
        "京AI2345",  # I is never used on plates
        "京AO2345",  # nor O
        "京12345",  # no issuing-office letter
        "XA12345",  # no province character
        "京A123456",  # one character too many for a standard plate
        "京A1234",  # one too few
        "粤B12345A",  # a large new-energy plate ends in D or F only
        "粤BD1234A",  # a small new-energy plate ends in four digits
    ],
)
def test_malformed_plate_is_refused(plate):
    error = _refused(validate_plate, plate)

    assert error.code == "invalid_plate"


def test_plate_written_with_a_space_and_in_lower_case_is_stored_without_space_in_capitals():
    assert normalize_plate("粤B D12345") == "粤BD12345"
    assert normalize_plate("京a·12345") == "京A12345"
    assert normalize_plate(" 京A-12345 ") == "京A12345"


# -- VIN --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "check"),
    [
        ("1M8GDM9AXKP042788", "X"),  # the textbook example: remainder 10 → X
        ("1HGCM82633A004352", "3"),  # Honda Accord
        ("LSVAU218XN2183294", "X"),  # a SAIC-VW (LSV) number with its check digit computed by hand
    ],
)
def test_vin_with_correct_check_digit_is_accepted(vin, check):
    validate_vin(vin)

    assert vin_check_digit(vin) == check
    assert vin_check_digit_ok(vin) is True


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9A1KP042788",  # 9th character 1 where X belongs
        "1HGCM82643A004352",  # 9th character 4 where 3 belongs
        "LSVAU2180N2183294",  # written with 0 where X belongs
    ],
)
def test_vin_with_wrong_check_digit_is_well_formed_but_needs_confirmation(vin):
    validate_vin(vin)  # not a refusal: the user confirms it (see the customers app)

    assert vin_check_digit_ok(vin) is False


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP04278",  # 16 characters
        "1M8GDM9AXKP0427881",  # 18 characters
        "1M8GDM9AXKP04278I",  # I
        "1M8GDM9AXKPO42788",  # O
        "1M8GDM9AXKQ042788",  # Q
        "1M8GDM9AXKP04278*",
    ],
)
def test_vin_of_wrong_length_or_with_forbidden_letters_is_refused(vin):
    error = _refused(validate_vin, vin)

    assert error.code == "invalid_vin"
    assert vin_check_digit_ok(vin) is False


def test_vin_typed_in_lower_case_with_spaces_is_normalised():
    vin = normalize_vin(" 1m8gdm9a xkp042788 ")

    assert vin == "1M8GDM9AXKP042788"
    assert vin_check_digit_ok(vin)


def test_full_width_vin_is_normalised():
    assert normalize_vin("１ＨＧＣＭ８２６３３Ａ００４３５２") == "1HGCM82633A004352"


# -- IMEI -------------------------------------------------------------------------------------------------------------


def test_imei_with_correct_luhn_digit_is_accepted():
    validate_imei("490154203237518")


@pytest.mark.parametrize(
    "imei",
    [
        "490154203237517",  # wrong Luhn digit
        "49015420323751",  # 14 digits
        "4901542032375180",  # 16 digits
        "49015420323751A",
    ],
)
def test_imei_with_wrong_check_digit_or_length_is_refused(imei):
    error = _refused(validate_imei, imei)

    assert error.code == "invalid_imei"


def test_imei_written_in_groups_is_normalised():
    imei = normalize_imei("49-015420-323751-8")

    assert imei == "490154203237518"
    validate_imei(imei)


# -- resident ID card -------------------------------------------------------------------------------------------------


def test_id_card_with_valid_date_and_check_character_is_accepted():
    validate_id_card("11010519491231002X")


def test_id_card_with_lower_case_x_is_normalised_and_accepted():
    number = normalize_id_number("11010519491231002x")

    assert number == "11010519491231002X"
    validate_id_card(number)


def test_id_card_with_wrong_check_character_is_refused():
    error = _refused(validate_id_card, "110105194912310021")

    assert error.code == "invalid_id_card"


def test_id_card_with_impossible_birth_date_is_refused():
    # 30 February 1949, with the check character that fits the other 17 digits
    error = _refused(validate_id_card, "110105194902300020")

    assert error.code == "invalid_id_card"


def test_id_card_of_wrong_length_is_refused():
    _refused(validate_id_card, "1101051949123100")


# -- unified social credit code ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["91110000600037341L", "91310000132149237G"])
def test_credit_code_with_correct_check_character_is_accepted(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341M",  # wrong check character
        "91110000600037342L",  # one digit changed
        "9111000060003734L",  # 17 characters
    ],
)
def test_credit_code_with_one_wrong_character_is_refused(code):
    error = _refused(validate_credit_code, code)

    assert error.code == "invalid_credit_code"


def test_credit_code_typed_with_spaces_in_lower_case_is_normalised():
    code = normalize_id_number("9111 0000 6000 3734 1l")

    assert code == "91110000600037341L"
    validate_credit_code(code)
