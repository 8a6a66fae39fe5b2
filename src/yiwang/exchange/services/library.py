"""Publishing the e-license library as a resource of the catalog (its source is the licenses app's plugin)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yiwang.regions.models import Department

from ..catalog import LICENSE_LIBRARY
from ..models import Resource
from . import _publish


@transaction.atomic
def publish_license_library(*, provider: Department, published_on: dt.date | None = None) -> Resource:
    """Publish (or refresh) the e-license library as a resource of ``provider``; idempotent."""
    return _publish(LICENSE_LIBRARY, provider, published_on or timezone.localdate())
