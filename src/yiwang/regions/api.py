"""Regions and departments API."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from yiwang.core.errors import InvalidInput
from yiwang.core.pagination import paginate
from yiwang.core.schemas import ERROR_RESPONSES, PageQuery, page_of, render_page

from . import selectors

router = Router(tags=["regions"])


class RegionBrief(Schema):
    code: str
    name: str
    level: int


class RegionOut(RegionBrief):
    full_name: str
    parent: RegionBrief | None
    ancestors: list[RegionBrief]
    children: list[RegionBrief]


class DepartmentOut(Schema):
    credit_code: str
    name: str
    region_code: str
    region_name: str
    phone: str
    address: str


@router.get("/regions/{code}", response={200: RegionOut, **ERROR_RESPONSES}, summary="行政区划（含下级）")
def get_region(request, code: str):
    region = selectors.get_region(code=code)
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "full_name": region.full_name,
        "parent": region.parent,
        "ancestors": selectors.list_region_ancestors(region=region)[:-1],
        "children": list(selectors.list_child_regions(region=region)),
    }


def _department_out(department) -> dict:
    return {
        "credit_code": department.credit_code,
        "name": department.name,
        "region_code": department.region_id,
        "region_name": department.region.name,
        "phone": department.phone,
        "address": department.address,
    }


# By region, then name; the credit code breaks ties (the keyset's last field must be unique).
DEPARTMENT_ORDER = ["region", "name", "credit_code"]


class DepartmentQuery(PageQuery):
    region: str | None = Field(
        None,
        description="12 位行政区划代码：只列该区划的部门；不存在的代码返回 400 unknown_region",
        json_schema_extra={"pattern": "^[0-9]{12}$"},
    )


@router.get("/departments", response={200: page_of(DepartmentOut), **ERROR_RESPONSES}, summary="部门列表")
def list_departments(request, page: Query[DepartmentQuery]):
    region = page.region
    if region and not selectors.region_exists(code=region):
        raise InvalidInput(f"行政区划代码 {region} 不存在", code="unknown_region")
    departments = selectors.list_departments(region_code=region)
    found = paginate(departments, ordering=DEPARTMENT_ORDER, cursor=page.cursor, limit=page.limit)
    return render_page(found, _department_out)
