"""Memory of a process as the kernel accounts it: what is its own (USS) and its fair share (PSS).

RSS counts every resident page the process maps, including the memory-mapped search index and the
pages a forked worker still shares with its parent and siblings. USS (private pages) is what one more
worker costs; PSS splits each shared page among the processes sharing it. Read from
/proc/<pid>/smaps_rollup (Linux ≥ 4.14), no psutil needed.

    from memory import worker_memory, server_memory
    worker_memory(pid)   # {'rss_mb': …, 'pss_mb': …, 'uss_mb': …, 'shared_mb': …, 'anon_mb': …}
    server_memory(pid)   # a granian parent's workers: {'workers': [...], 'max_uss_mb': …, 'total_pss_mb': …}
"""

from __future__ import annotations

from pathlib import Path

_FIELDS = {
    "Rss": "rss_mb",
    "Pss": "pss_mb",
    "Shared_Clean": "shared_clean",
    "Shared_Dirty": "shared_dirty",
    "Private_Clean": "private_clean",
    "Private_Dirty": "private_dirty",
    "Anonymous": "anon_mb",
    "Pss_Anon": "pss_anon_mb",
    "Pss_File": "pss_file_mb",
}


def worker_memory(pid: int | str = "self") -> dict[str, float]:
    """RSS, PSS, USS (private clean + dirty), shared and anonymous memory of ``pid``, in MB (2**20 bytes)."""
    kib: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in _FIELDS:
            kib[_FIELDS[name]] = int(rest.split()[0])
    mb = {key: round(value / 1024, 1) for key, value in kib.items()}
    return {
        "rss_mb": mb["rss_mb"],
        "pss_mb": mb["pss_mb"],
        "uss_mb": round((kib["private_clean"] + kib["private_dirty"]) / 1024, 1),
        "shared_mb": round((kib["shared_clean"] + kib["shared_dirty"]) / 1024, 1),
        "anon_mb": mb.get("anon_mb", 0.0),
        # Pss_Anon/Pss_File exist from Linux 5.8: the file part is mostly the memory-mapped index.
        **({key: mb[key] for key in ("pss_anon_mb", "pss_file_mb") if key in mb}),
    }


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (granian's workers under its parent process)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return sorted(set(found))


def server_memory(pid: int) -> dict:
    """Each worker's memory under a granian parent ``pid``, the largest USS and the total PSS."""
    workers = []
    for child in children(pid):
        try:
            workers.append({"pid": child, **worker_memory(child)})
        except (FileNotFoundError, ProcessLookupError):
            continue
    return {
        "parent": worker_memory(pid),
        "workers": workers,
        "max_uss_mb": max((worker["uss_mb"] for worker in workers), default=0.0),
        "total_pss_mb": round(sum(worker["pss_mb"] for worker in workers), 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(server_memory(int(sys.argv[1])) if len(sys.argv) > 1 else worker_memory(), indent=1))
