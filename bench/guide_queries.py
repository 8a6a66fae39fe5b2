"""SQL queries per guide request, measured on the bench catalog (≥ 1,000,000 implementations)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog_generator

TARGET_QUERIES = 12


def main(*, samples: int = 50) -> dict:
    catalog_generator.setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from yiwang.catalog.models import Implementation

    step = max(1, Implementation.objects.count() // samples)
    codes = list(Implementation.objects.order_by("id").values_list("code", flat=True)[::step][:samples])
    client = Client()
    counts = []
    for code in codes:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/items/{code}")
        assert response.status_code == 200, (code, response.status_code)
        counts.append(len(captured.captured_queries))
    return {
        "guide_samples": len(counts),
        "guide_queries_max": max(counts),
        "guide_queries_min": min(counts),
        "meets_guide_queries": max(counts) <= TARGET_QUERIES,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
