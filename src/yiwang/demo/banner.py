"""What `make run` prints once the platform is up: where to go and how to log in."""

from __future__ import annotations


def render_banner(*, base_url: str) -> str:
    from yiwang.demo.accounts import DEMO_PASSWORD, create_demo_accounts, demo_client_lines, demo_totp_secret
    from yiwang.exchange.demo import demo_exchange_lines
    from yiwang.identity.oidc.demo_keys import demo_client_key_lines

    accounts = create_demo_accounts()  # idempotent: returns the existing accounts
    width = max(len(account.username) for account in accounts)
    lines = [
        "",
        "一网通办 Yiwang is starting on " + base_url,
        f"  门户 Portal            {base_url}/",
        f"  搜索 Search            {base_url}/search?q=身份证丢了",
        f"  我的证照 Licenses      {base_url}/licenses/",
        f"  管理后台 Admin         {base_url}/admin/      (staff: password + TOTP)",
        f"  API docs               {base_url}/api/v1/docs",
        f"  OpenAPI                {base_url}/api/v1/openapi.json",
        f"  OIDC discovery         {base_url}/.well-known/openid-configuration",
        "",
        f"Demo accounts (password for all: {DEMO_PASSWORD})",
    ]
    for account in accounts:
        note = account.note.split("；动态口令密钥")[0]
        lines.append(f"  {account.username:<{width}}  {account.role}  {note}".rstrip())
    lines += [
        "",
        f"Staff TOTP secret (add to an authenticator app): {demo_totp_secret()}",
        "  or print the current code: .venv/bin/python manage.py demo_totp",
        "",
        "Demo departmental OIDC client:",
        *(f"  {line}" for line in demo_client_lines(site_url=base_url)),
        "",
        "Demo consuming systems of the data exchange (client credentials, scope exchange; "
        f"POST {base_url}/o/token/ then {base_url}/api/v1/exchange/methods):",
        *(f"  {line}" for line in demo_exchange_lines()),
        *(f"  {line}" for line in demo_client_key_lines(site_url=base_url)),
        "",
    ]
    return "\n".join(lines)
