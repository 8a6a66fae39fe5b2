"""Finding the department a request names (by credit code), answering 404 alike for missing codes."""

from __future__ import annotations

from yiwang.core.errors import NotFound
from yiwang.regions.models import Department


def department_by_credit_code(credit_code: str) -> Department:
    department = Department.objects.filter(credit_code=(credit_code or "").strip().upper()).first()
    if department is None:
        raise NotFound("未找到该部门", code="department_not_found")
    return department
