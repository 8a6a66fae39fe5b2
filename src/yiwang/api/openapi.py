"""The OpenAPI schema of /api/v1, with the scope each operation asks of a bearer token."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from yiwang.core.api_auth import PlatformBearerAuth, PlatformSystemAuth


class ScopedOpenAPISchema(OpenAPISchema):
    def operation_security(self, operation):
        # ninja leaves every requirement's scope list empty; OpenAPI 3.1 lets a bearer scheme name them.
        requirements = super().operation_security(operation)
        for auth in operation.auth_callbacks:
            if isinstance(auth, (PlatformBearerAuth, PlatformSystemAuth)):
                for requirement in requirements or []:
                    if type(auth).__name__ in requirement:
                        requirement[type(auth).__name__] = [auth.scope]
        return requirements


class PlatformAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ScopedOpenAPISchema(self, path_prefix)
