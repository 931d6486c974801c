import io
import random

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from stdnum import luhn

from aftersales.core.validators import vin_check_digit
from aftersales.customers.models import Asset, Customer
from aftersales.customers.services import customer_search_refresh
from aftersales.demo.fake import make_vin


class CustomerFactory(factory.django.DjangoModelFactory):
    """A person customer with a valid mobile; the search digest is kept right as real services do."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"客户{n}")
    kind = "person"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    branch = factory.SubFactory("aftersales.org.tests.factories.BranchFactory")

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            customer_search_refresh(self)


class VehicleFactory(factory.django.DjangoModelFactory):
    """A vehicle with a VIN whose check digit is right and a standard plate."""

    class Meta:
        model = Asset
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    branch = factory.SelfAttribute("customer.branch")
    kind = "vehicle"
    vin = factory.Sequence(lambda n: make_vin(random.Random(n), "LSV", 2020))
    plate = factory.Sequence(lambda n: f"京A{n % 100000:05d}")
    brand = "大众"
    model = "帕萨特"
    year = 2020
    mileage = 30000

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        if create:
            customer_search_refresh(self.customer)


class DeviceFactory(VehicleFactory):
    """A phone brought in for repair: serial number and an IMEI with a right Luhn digit."""

    kind = "device"
    vin = ""
    plate = ""
    brand = "华为"
    model = "Mate 60"
    year = None
    mileage = None
    serial = factory.Sequence(lambda n: f"SN{n:08d}")
    imei = factory.Sequence(lambda n: make_imei(n))


# -- valid and invalid identifiers ------------------------------------------------------------------------------------


def valid_vin(n: int, wmi: str = "LFV", year: int = 2022) -> str:
    """A distinct 17-character VIN whose check digit is right (differs from VehicleFactory's LSV ones)."""
    return make_vin(random.Random(10_000 + n), wmi, year)


def with_wrong_check_digit(vin: str) -> str:
    """The same VIN with a ninth character that is not its check digit (still a well-formed VIN)."""
    wrong = "0" if vin_check_digit(vin) != "0" else "1"
    return vin[:8] + wrong + vin[9:]


def make_imei(n: int) -> str:
    """A distinct 15-digit IMEI with its Luhn check digit."""
    body = f"35{n:012d}"
    return body + luhn.calc_check_digit(body)


# -- xlsx sheets ------------------------------------------------------------------------------------------------------

ZH_HEADERS = [
    "客户名称",
    "客户类型",
    "手机",
    "证件号码",
    "地址",
    "来源",
    "备注",
    "VIN",
    "车牌",
    "品牌",
    "车型",
    "年份",
    "里程",
    "保险到期",
]
EN_HEADERS = [
    "Customer name",
    "Customer type",
    "Mobile",
    "ID number",
    "Address",
    "Source",
    "Notes",
    "VIN",
    "Plate",
    "Brand",
    "Model",
    "Year",
    "Mileage",
    "Insurance expiry",
]


def xlsx_bytes(rows: list[list]) -> bytes:
    """A real xlsx workbook whose first sheet holds `rows` (the first row being the headers)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_upload(rows: list[list], name: str = "customers.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, xlsx_bytes(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def sheet_row(
    name: str,
    mobile: str = "",
    vin: str = "",
    plate: str = "",
    *,
    kind: str = "个人",
    id_number: str = "",
    address: str = "",
    source: str = "电话",
    notes: str = "",
    brand: str = "",
    model: str = "",
    year=None,
    mileage=None,
    insurance_expiry=None,
) -> list:
    """One sheet row in the template's column order (ZH_HEADERS / EN_HEADERS)."""
    return [
        name,
        kind,
        mobile,
        id_number,
        address,
        source,
        notes,
        vin,
        plate,
        brand,
        model,
        year,
        mileage,
        insurance_expiry,
    ]
