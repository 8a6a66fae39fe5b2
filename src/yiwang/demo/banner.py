"""What `make run` prints once the platform is up: where to go and how to log in."""

from __future__ import annotations


def render_banner(*, base_url: str) -> str:
    lines = [
        "",
        "一网通办 Yiwang is starting on " + base_url,
        f"  门户 Portal            {base_url}/",
        f"  搜索 Search            {base_url}/search?q=身份证丢了",
        f"  管理后台 Admin         {base_url}/admin/",
        f"  API docs               {base_url}/api/v1/docs",
        f"  OpenAPI                {base_url}/api/v1/openapi.json",
        "",
    ]
    return "\n".join(lines)
