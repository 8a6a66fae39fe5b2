"""English is available for every page: no interface string of the product lacks its translation.

The strings are extracted afresh (``makemessages``, as a developer would) from a copy of the code, so a
page added without English fails here instead of showing Chinese to an English reader.
"""

import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]  # src/yiwang
SRC = SOURCE.parent


def test_every_interface_string_has_an_english_translation(tmp_path):
    copy = tmp_path / "yiwang"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("tests", "data", "static", "__pycache__"))
    command = [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"]
    command += ["--ignore", "*/tests/*", "--ignore", "migrations/*"]  # as the catalog's header says
    subprocess.run(  # noqa: S603  (our interpreter, our own code)
        command,
        cwd=copy,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "yiwang.settings.test",
            "PYTHONPATH": f"{SRC}",
        },
        check=True,
        capture_output=True,
    )
    catalog = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    for flag in ("--untranslated", "--only-fuzzy"):
        missing = subprocess.run(  # noqa: S603
            ["/usr/bin/msgattrib", flag, "--no-wrap", str(catalog)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        entries = [line for line in missing.splitlines() if line.startswith("msgid ") and line != 'msgid ""']
        assert not entries, f"{len(entries)} strings without English ({flag}): {entries[:10]}"
