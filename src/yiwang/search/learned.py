"""Learned synonyms on each node: the database rows, mirrored to a file beside the index that readers watch.

Query analysis runs in every web process; asking the database for the synonyms on every search would cost
a query each time. Instead the synonyms curators added are written to ``learned-synonyms.json`` in the
index directory (after the commit that adds one, and by every rebuild), and each search compares the
file's marker (one ``stat``, like the index's ``CURRENT``) with the one it loaded.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from django.conf import settings

from .analysis import use_learned_synonyms
from .backends.generations import Marker, file_marker
from .models import LearnedSynonym

LEARNED_SYNONYMS_FILE = "learned-synonyms.json"
_loaded: dict[Path, Marker | None] = {}
_lock = threading.Lock()


def learned_synonyms_path() -> Path:
    return Path(settings.SEARCH_INDEX_DIR) / LEARNED_SYNONYMS_FILE


def write_learned_synonyms() -> dict[str, str]:
    """Mirror the learned synonyms of the database to this node's file (atomically) and use them."""
    pairs = dict(LearnedSynonym.objects.order_by("phrase").values_list("phrase", "official"))
    path = learned_synonyms_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(json.dumps(pairs, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
    with _lock:
        use_learned_synonyms(pairs)
        _loaded[path] = file_marker(path)
    return pairs


def refresh_learned_synonyms() -> None:
    """Use the node's learned synonyms if the file changed since this process read it (one ``stat``)."""
    path = learned_synonyms_path()
    marker = file_marker(path)
    if path in _loaded and _loaded[path] == marker:
        return
    if marker is None:
        # A node that has not written the file yet (no rebuild since the upgrade): from the database, once.
        write_learned_synonyms()
        return
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        write_learned_synonyms()
        return
    with _lock:
        use_learned_synonyms({str(phrase): str(official) for phrase, official in pairs.items()})
        _loaded[path] = marker
