"""The steps that build the demo data set, in order. Each step is idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], object]


def _regions():
    from yiwang.regions.services import load_regions

    return f"{load_regions()} regions created"


def _holidays():
    from yiwang.core.services import load_bundled_holidays

    years = load_bundled_holidays()
    return ", ".join(f"{row.year}{'' if row.is_published else '（未发布，按周末计算）'}" for row in years)


def _real_items():
    from yiwang.catalog.importers import import_real_items

    summary = import_real_items()
    return (
        f"{summary.implementations_total} implementations ({summary.implementations_created} new), "
        f"{summary.departments} departments"
    )


def _guides():
    from yiwang.catalog.guides import load_demo_guides

    summary = load_demo_guides()
    return (
        f"{summary.implementations} guides, {summary.bundles} bundles, {summary.topics} topics "
        f"({summary.implementations_changed} changed)"
    )


def _completeness():
    from yiwang.catalog.completeness import recompute_completeness

    return f"{recompute_completeness()} implementations re-scored"


def _registers():
    from yiwang.registers.demo import generate_registers

    return generate_registers(size="demo")


def _accounts():
    from yiwang.demo.accounts import create_demo_accounts

    return f"{len(create_demo_accounts())} demo accounts"


def _licenses():
    from yiwang.licenses.demo import load_demo_licenses

    return load_demo_licenses()


def _exchange():
    from yiwang.exchange.demo import load_demo_exchange

    return load_demo_exchange()


def _applications():
    from yiwang.applications.demo import load_demo_applications

    return load_demo_applications()


def _halls():
    from yiwang.halls.demo import load_demo_halls

    return load_demo_halls()


def _supervision():
    from yiwang.supervision.demo import load_demo_supervision

    return load_demo_supervision()


def _quality():
    from yiwang.quality.demo import run_demo_quality_checks

    return run_demo_quality_checks()


def _client_key():
    from yiwang.identity.oidc.demo_keys import ensure_demo_client_key

    return ensure_demo_client_key()


def _search_index():
    from yiwang.search.services import rebuild_search_index

    stats = rebuild_search_index()
    return f"{stats.documents} documents, {stats.suggestions} suggestions ({stats.size_bytes / 1e6:.1f} MB)"


STEPS: list[Step] = [
    Step("行政区划 regions", _regions),
    Step("法定节假日 holidays", _holidays),
    Step("真实事项 real service items", _real_items),
    Step("办事指南与一件事 guides and bundles", _guides),
    Step("要素完整度 completeness", _completeness),
    Step("基础库 registers (synthetic)", _registers),
    Step("演示账号 demo accounts", _accounts),
    Step("电子证照 e-licenses", _licenses),
    Step("数据共享交换 data exchange", _exchange),
    Step("办件 applications", _applications),
    Step("服务大厅与预约 halls and bookings", _halls),
    Step("效能监察与评价 supervision", _supervision),
    Step("业务系统密钥 private_key_jwt demo key", _client_key),
    Step("数据质量 quality checks", _quality),
    Step("搜索索引 search index", _search_index),
]
