"""Write the API's OpenAPI schema to a file, or check that the committed file is current."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Export the OpenAPI schema (with --check: fail when the committed file differs)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, path, check, **options):
        from yiwang.api.api import api

        schema = api.get_openapi_schema(path_prefix="/api/v1")
        text = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        target = Path(path)
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                self.stderr.write(f"{path} is out of date: run `make openapi` and commit it")
                sys.exit(1)
            self.stdout.write(f"{path} is current")
            return
        target.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")
