"""Import application form definitions (JSON) as new versions: every problem listed, exit 1 on any."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.applications.services.forms import FormSchemaError, import_form, load_demo_forms
from yiwang.core import call_context as context
from yiwang.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import form definitions (JSON files) as new versions; --activate to use them; --demo for data/forms."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="JSON files of form definitions")
        parser.add_argument("--activate", action="store_true", help="activate each imported version")
        parser.add_argument(
            "--demo", action="store_true", help="load and activate the demo forms (data/forms)"
        )

    def handle(self, *args, files: list[Path], activate: bool, demo: bool, **options):
        if not files and not demo:
            raise CommandError("请给出表单定义文件，或使用 --demo")
        with context.bound(channel=context.Channel.COMMAND):
            if demo:
                self.stdout.write(f"demo forms: {load_demo_forms()} new versions")
            for path in files:
                self._import(path, activate)

    def _import(self, path: Path, activate: bool) -> None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}：无法读取（{error.strerror}）") from None
        try:
            form, created = import_form(actor=None, schema=raw, activate=activate)
        except FormSchemaError as error:
            for problem in error.details.get("problems", []):
                self.stderr.write(f"{path}：{problem}")
            raise CommandError(f"{path}：{error.message}") from None
        except DomainError as error:
            raise CommandError(f"{path}：{error.message}") from None
        state = "new version" if created else "unchanged, same as version"
        self.stdout.write(
            f"{path}: {form.implementation.code} {state} {form.version} ({form.get_status_display()})"
        )
