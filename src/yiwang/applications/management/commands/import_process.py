"""Import a BPMN 2.0 file (drawn in Camunda Modeler or bpmn.io) as a new version of its process.

Exits non-zero naming each unsupported element, unsafe expression or script, and unknown handler, in
Chinese; never with a traceback (ADR 0009).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.applications import workflow
from yiwang.applications.services.processes import import_process
from yiwang.catalog.models import Implementation
from yiwang.core import call_context as context
from yiwang.core.errors import DomainError

MAX_BYTES = 2 * 1024 * 1024


class Command(BaseCommand):
    help = "导入 BPMN 2.0 流程文件为其流程的新版本；不支持的元素逐一列出并以非零状态退出"

    def add_arguments(self, parser):
        parser.add_argument("file", help="BPMN 文件（.bpmn）")
        parser.add_argument("--activate", action="store_true", help="导入后启用该版本（新办件使用）")
        parser.add_argument("--default", action="store_true", help="设为默认流程（未绑定流程的实施清单使用）")
        parser.add_argument(
            "--implementation",
            action="append",
            default=[],
            metavar="CODE",
            help="绑定到该实施清单（实施编码，可重复）",
        )

    def handle(self, *args, file, activate=False, default=False, implementation=(), **options):
        xml = self._read(Path(file))
        codes = list(implementation)
        implementations = list(Implementation.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {item.code for item in implementations})
        if unknown:
            raise CommandError(f"未找到实施清单：{'、'.join(unknown)}")
        with context.bound(channel=context.Channel.COMMAND):
            try:
                result = import_process(
                    actor=None,
                    xml=xml,
                    file_name=Path(file).name,
                    activate=activate,
                    make_default=default,
                    implementations=implementations,
                )
            except workflow.ImportProblems as problems:
                for problem in problems.problems:
                    self.stderr.write(f"  - {problem}")
                raise CommandError(f"{problems.message}：{Path(file).name}") from None
            except DomainError as error:
                raise CommandError(error.message) from None
        version = result.version
        verb = "已导入" if result.created else "文件与已有版本相同，未新建版本"
        self.stdout.write(
            f"{verb}：{version.definition.name}（{version.definition.key}）第 {version.number} 版，"
            f"状态：{version.get_status_display()}"
        )
        for warning in result.warnings:
            self.stdout.write(f"  注意：{warning}")

    def _read(self, path: Path) -> bytes:
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"文件过大（不超过 {MAX_BYTES // 1024} KB）：{path}")
            return path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{path}") from None
        except IsADirectoryError:
            raise CommandError(f"不是文件：{path}") from None
        except PermissionError:
            raise CommandError(f"无权读取文件：{path}") from None
