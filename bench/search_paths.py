"""Search request paths for the HTTP benchmark: realistic queries with a realistic repetition.

Portal traffic is skewed: a few needs (身份证, 社保, 公积金 …) make most searches. The paths are 4,000
requests drawn from the 2,000 realistic queries of search_bench.py with Zipf weights (s = 1.1) over a
shuffled rank, so the benchmark sees repeated popular queries and a long tail of one-off ones.
"""

from __future__ import annotations

import json
import random
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catalog_generator

ZIPF_S = 1.1


def main(*, distinct: int = 2000, requests: int = 4000, seed: int = 11) -> list[str]:
    catalog_generator.setup_django()
    import search_bench

    queries = search_bench.realistic_queries(distinct, seed=seed)
    chooser = random.Random(seed)
    chooser.shuffle(queries)
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(len(queries))]
    paths = []
    for text, region in chooser.choices(queries, weights=weights, k=requests):
        params = {"q": text, **({"region": region} if region else {})}
        paths.append("/api/v1/search?" + urllib.parse.urlencode(params))
    return paths


if __name__ == "__main__":
    print(json.dumps(main()))
