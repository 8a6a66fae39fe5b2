"""Fixtures of the search tests: a fresh index directory per test and a small catalog to search."""

from __future__ import annotations

import pytest

from yiwang.catalog.constants import Audience, ItemType, OnlineDepth
from yiwang.catalog.tests.factories import (
    BundleFactory,
    DepartmentFactory,
    ImplementationFactory,
    ServiceItemFactory,
    TopicFactory,
    region_by_code,
    synthetic_credit_code,
)
from yiwang.search.services import rebuild_search_index

GUANGAN_DISTRICT = "511602000000"  # 广安区
GUANGAN_CITY = "511600000000"  # 广安市
SICHUAN = "510000000000"  # 四川省
XIANGTAN_COUNTY = "430321000000"  # 湘潭县 (another province)


@pytest.fixture(autouse=True)
def search_index_dir(settings, tmp_path):
    """Every test reads and writes its own index."""
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    return settings.SEARCH_INDEX_DIR


def department_in(region_code: str, name: str):
    return DepartmentFactory(
        name=name,
        region=region_by_code(region_code),
        credit_code=synthetic_credit_code(
            abs(hash((region_code, name))) % 10**8, region_prefix=region_code[:6]
        ),
    )


def implementation(
    name: str,
    *,
    region_code: str = GUANGAN_DISTRICT,
    department: str = "市场监督管理局",
    keywords: str = "",
    item_type: int = ItemType.LICENSING,
    audiences=(Audience.PERSON,),
    online_depth: int | None = OnlineDepth.FULLY_ONLINE,
    visits: int | None = 0,
    view_count: int = 0,
    topics=(),
    item=None,
):
    item = item or ServiceItemFactory(
        name=name, keywords=keywords, item_type=item_type, audiences=list(audiences), topics=list(topics)
    )
    return ImplementationFactory(
        item=item,
        region=region_by_code(region_code),
        department=department_in(region_code, department),
        name=name,
        online_depth=online_depth,
        visits=visits,
        view_count=view_count,
    )


@pytest.fixture
def catalog(db):
    """A small catalog of real item names in 广安区, with a few elsewhere."""
    birth = TopicFactory(code="birth", name="出生", life_event=True)
    items = {
        "food": implementation("食品经营许可证核发", department="市场监督管理局", view_count=500),
        "food_change": implementation(
            "食品经营许可变更",
            department="市场监督管理局",
            view_count=20,
            online_depth=OnlineDepth.DOWNLOAD,
            visits=1,
        ),
        "birth": implementation(
            "出生医学证明办理",
            department="卫生健康局",
            item_type=ItemType.PUBLIC_SERVICE,
            topics=[birth],
            view_count=300,
        ),
        "id_card": implementation(
            "居民身份证补领",
            department="公安分局",
            item_type=ItemType.CONFIRMATION,
            online_depth=OnlineDepth.INFORMATION,
            visits=1,
            view_count=800,
        ),
        "license": implementation(
            "营业执照办理", department="行政审批局", audiences=(Audience.ENTERPRISE,), view_count=1200
        ),
        "fund": implementation(
            "住房公积金提取", department="住房公积金管理中心", item_type=ItemType.BENEFIT, view_count=2000
        ),
        "security_card": implementation(
            "社会保障卡申领",
            department="人力资源和社会保障局",
            item_type=ItemType.PUBLIC_SERVICE,
            view_count=100,
        ),
        "allowance": implementation("最低生活保障审核确认", department="民政局", item_type=ItemType.BENEFIT),
        "property": implementation(
            "不动产转移登记", department="自然资源和规划局", item_type=ItemType.CONFIRMATION, view_count=50
        ),
        "hukou": implementation("户口迁移", department="公安分局", item_type=ItemType.CONFIRMATION),
    }
    # The same item implemented by the province and by a county elsewhere.
    items["license_province"] = implementation(
        "营业执照办理",
        region_code=SICHUAN,
        department="市场监督管理局",
        item=items["license"].item,
        view_count=5000,
    )
    items["license_elsewhere"] = implementation(
        "营业执照办理",
        region_code=XIANGTAN_COUNTY,
        department="行政审批服务局",
        item=items["license"].item,
        view_count=9000,
    )
    items["bundle"] = BundleFactory(
        code="birth-bundle",
        name="新生儿出生一件事",
        keywords="生孩子 出生",
        implementations=[items["birth"], items["security_card"], items["hukou"]],
        topics=[birth],
        visits=0,
    )
    return items


@pytest.fixture
def indexed_catalog(catalog):
    rebuild_search_index()
    return catalog
