"""Export an implementation's form definition (the active version, or --form-version N) as JSON."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.applications.constants import FormStatus
from yiwang.applications.models import ApplicationForm
from yiwang.applications.services.forms import export_form


class Command(BaseCommand):
    help = "Print (or write with --output) a form definition: the active version or --form-version."

    def add_arguments(self, parser):
        parser.add_argument("implementation", help="the implementation code")
        parser.add_argument(
            "--form-version", dest="form_version", type=int, help="a version number (default: active)"
        )
        parser.add_argument("--output", type=Path, help="write to this file instead of standard output")

    def handle(self, *args, implementation: str, form_version: int | None, output: Path | None, **options):
        forms = ApplicationForm.objects.filter(implementation__code=implementation)
        form = (
            forms.filter(version=form_version).first()
            if form_version
            else forms.filter(status=FormStatus.ACTIVE).first()
        )
        if form is None:
            which = f"第 {form_version} 版" if form_version else "启用的版本"
            raise CommandError(f"实施清单“{implementation}”没有{which}申请表单")
        text = export_form(form=form)
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(f"{output}: version {form.version}")
