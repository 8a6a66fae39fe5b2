"""Regions and departments API."""

from __future__ import annotations

from ninja import Router, Schema

from yiwang.core.errors import InvalidInput
from yiwang.core.schemas import ERROR_RESPONSES

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


@router.get("/departments", response={200: list[DepartmentOut], **ERROR_RESPONSES}, summary="部门列表")
def list_departments(request, region: str | None = None):
    if region and not selectors.region_exists(code=region):
        raise InvalidInput(f"行政区划代码 {region} 不存在", code="unknown_region")
    return [
        {
            "credit_code": d.credit_code,
            "name": d.name,
            "region_code": d.region_id,
            "region_name": d.region.name,
            "phone": d.phone,
            "address": d.address,
        }
        for d in selectors.list_departments(region_code=region)
    ]
