"""Reading the guide files: JSON, templates and defaults resolved, validated, cross-references checked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from yiwang.core.errors import InvalidInput

from .schema import (
    BundleSpec,
    DefaultsSpec,
    DepartmentSpec,
    GuideFileSpec,
    GuideSpec,
    InstrumentSpec,
    MaterialSpec,
    QuestionSpec,
    TopicSpec,
    bundle_question_problems,
    guide_problems,
)

GUIDES_DIR = Path(__file__).resolve().parent.parent / "data" / "guides"


class GuideDataError(InvalidInput):
    """A guide data file is malformed; the message names the file, the guide and the field."""

    code = "invalid_guide_data"


@dataclass(frozen=True)
class GuideCatalog:
    """Everything the files say, validated and with templates and defaults already applied."""

    files: list[str]
    license_types: dict[str, str]
    departments: dict[str, DepartmentSpec]
    topics: dict[str, TopicSpec]
    guides: list[GuideSpec]
    bundles: list[BundleSpec]
    instruments: dict[str, InstrumentSpec]


@dataclass
class _Shared:
    license_types: dict[str, str]
    departments: dict[str, DepartmentSpec]
    topics: dict[str, TopicSpec]
    materials: dict[str, dict[str, Any]]
    questions: dict[str, dict[str, Any]]
    instruments: dict[str, InstrumentSpec]
    defaults: DefaultsSpec | None = None


def read_guide_files(*, directory: Path = GUIDES_DIR) -> GuideCatalog:
    """Read and validate every ``*.json`` file of ``directory``; raise GuideDataError on the first problem."""
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise GuideDataError(f"{directory} 中没有指南数据文件", code="no_guide_files")
    files = [(path.name, _parse_file(path)) for path in paths]
    shared = _collect_shared(files)
    guides: list[GuideSpec] = []
    for file_name, spec in files:
        guides.extend(_read_guide(file_name, index, raw, shared) for index, raw in enumerate(spec.guides))
    _check_codes_unique(guides)
    by_code = {guide.implementation.code: guide for guide in guides}
    bundles: list[BundleSpec] = []
    for file_name, spec in files:
        for bundle in spec.bundles:
            _check_bundle(file_name, bundle, by_code, shared)
            bundles.append(bundle)
    _check_unique_across("bundles", [bundle.code for bundle in bundles])
    return GuideCatalog(
        files=[name for name, _ in files],
        license_types=shared.license_types,
        departments=shared.departments,
        topics=shared.topics,
        guides=guides,
        bundles=bundles,
        instruments=shared.instruments,
    )


def _parse_file(path: Path) -> GuideFileSpec:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GuideDataError(f"{path.name}：不是合法的 UTF-8 JSON（{error}）", file=path.name) from None
    return _validate(GuideFileSpec, raw, file=path.name, guide=None)


def _validate(model: type[BaseModel], raw: Any, *, file: str, guide: str | None) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(整体)"
        where = f"{file}：{_subject(guide)}：" if guide else f"{file}："
        message = first["msg"].removeprefix("Value error, ")
        raise GuideDataError(f"{where}字段 {field}：{message}", file=file, guide=guide, field=field) from None


def _collect_shared(files: list[tuple[str, GuideFileSpec]]) -> _Shared:
    shared = _Shared(license_types={}, departments={}, topics={}, materials={}, questions={}, instruments={})
    for file_name, spec in files:
        if spec.defaults is not None:
            if shared.defaults is not None:
                raise GuideDataError(f"{file_name}：defaults 只能在一个文件中定义", file=file_name)
            shared.defaults = spec.defaults
        sections = [
            ("license_types", shared.license_types, {item.code: item.name for item in spec.license_types}),
            ("instruments", shared.instruments, {item.code: item for item in spec.instruments}),
            ("departments", shared.departments, {item.short_name: item for item in spec.departments}),
            ("topics", shared.topics, {item.code: item for item in spec.topics}),
            ("material_templates", shared.materials, _dump_by(spec.material_templates, "key")),
            ("question_templates", shared.questions, _dump_by(spec.question_templates, "code")),
        ]
        for section, target, entries in sections:
            for code, entry in entries.items():
                if code in target:
                    raise GuideDataError(f"{file_name}：{section} 中的“{code}”重复定义", file=file_name)
                target[code] = entry
    if shared.defaults is None:
        raise GuideDataError("没有任何文件定义 defaults（办理时间、监督投诉渠道）", code="no_guide_defaults")
    for code, instrument in shared.instruments.items():
        if instrument.replaced_by and instrument.replaced_by not in shared.instruments:
            raise GuideDataError(f"instruments：“{code}”的 replaced_by {instrument.replaced_by} 未定义")
    for template in shared.materials.values():
        _check_license_code(shared, "material_templates", template.get("license_type_code", ""), guide=None)
    return shared


def _dump_by(entries: list[MaterialSpec] | list[QuestionSpec], key: str) -> dict[str, dict[str, Any]]:
    dumped = [entry.model_dump(mode="json", exclude_defaults=True) for entry in entries]
    return {entry[key]: entry for entry in dumped}


def _read_guide(file_name: str, index: int, raw: dict, shared: _Shared) -> GuideSpec:
    label = _guide_label(raw, index)
    raw = _apply_templates(file_name, label, raw, shared)
    guide = _validate(GuideSpec, raw, file=file_name, guide=label)
    for field, message in guide_problems(guide):
        _fail(file_name, label, field, message)
    for topic in guide.item.topics:
        if topic not in shared.topics:
            _fail(file_name, label, "item.topics", f"主题编码 {topic} 未定义")
    for position, citation in enumerate(guide.citations):
        if citation.instrument not in shared.instruments:
            _fail(
                file_name,
                label,
                f"citations[{position}].instrument",
                f"法规编码 {citation.instrument} 未定义",
            )
    for position, material in enumerate(guide.materials):
        _check_license_code(
            shared,
            f"materials[{position}].license_type_code",
            material.license_type_code,
            guide=label,
            file=file_name,
        )
    _check_license_code(
        shared,
        "implementation.result_license_type",
        guide.implementation.result_license_type,
        guide=label,
        file=file_name,
    )
    return guide


def _guide_label(raw: Any, index: int) -> str:
    implementation = raw.get("implementation") if isinstance(raw, dict) else None
    code = implementation.get("code") if isinstance(implementation, dict) else None
    return str(code) if code else f"#{index + 1}"


def _apply_templates(file_name: str, label: str, raw: Any, shared: _Shared) -> Any:
    """Fill material and question templates and the implementation's defaults into the raw entry."""
    if not isinstance(raw, dict):
        return raw
    raw = dict(raw)
    if isinstance(raw.get("materials"), list):
        raw["materials"] = [
            {**shared.materials.get(entry.get("key"), {}), **entry} if isinstance(entry, dict) else entry
            for entry in raw["materials"]
        ]
    if isinstance(raw.get("questions"), list):
        raw["questions"] = [
            _question_from_template(file_name, label, entry, shared) for entry in raw["questions"]
        ]
    implementation = raw.get("implementation")
    if isinstance(implementation, dict):
        department = shared.departments.get(implementation.get("department"))
        if department is None:
            _fail(
                file_name,
                label,
                "implementation.department",
                f"部门简称“{implementation.get('department')}”不在 departments 中",
            )
        fallback = {"place": department.place, "phone": department.phone, **shared.defaults.model_dump()}
        raw["implementation"] = {**{k: v for k, v in fallback.items() if v}, **implementation}
    return raw


def _question_from_template(file_name: str, label: str, entry: Any, shared: _Shared) -> Any:
    if not isinstance(entry, dict) or "template" not in entry:
        return entry
    template = shared.questions.get(entry["template"])
    if template is None:
        _fail(file_name, label, "questions", f"情形问题模板“{entry['template']}”未定义")
    overrides = {key: value for key, value in entry.items() if key != "template"}
    return {**template, **overrides}


def _check_license_code(shared: _Shared, field: str, code: str, *, guide: str | None, file: str = "") -> None:
    if code and code not in shared.license_types:
        message = f"电子证照类型代码 {code} 未定义（见 docs/license-types.md）"
        _fail(file or "(模板)", guide, field, message)


def _check_codes_unique(guides: list[GuideSpec]) -> None:
    for attribute in ("item", "implementation"):
        seen: set[str] = set()
        for guide in guides:
            code = getattr(guide, attribute).code
            if code in seen:
                raise GuideDataError(f"{attribute}.code“{code}”在多条指南中重复", field=f"{attribute}.code")
            seen.add(code)


def _check_bundle(file_name: str, bundle: BundleSpec, guides: dict[str, GuideSpec], shared: _Shared) -> None:
    label = f"一件事 {bundle.code}"  # names the bundle where a guide's code would stand
    if bundle.lead_department not in shared.departments:
        _fail(file_name, label, "lead_department", f"部门简称“{bundle.lead_department}”不在 departments 中")
    for code in bundle.implementations:
        if code not in guides:
            _fail(file_name, label, "implementations", f"实施编码 {code} 没有对应的指南")
    for topic in bundle.topics:
        if topic not in shared.topics:
            _fail(file_name, label, "topics", f"主题编码 {topic} 未定义")
    keys = {m.key for code in bundle.implementations for m in guides[code].materials if m.key}
    for field, message in bundle_question_problems(bundle, keys, set(bundle.implementations)):
        _fail(file_name, label, field, message)


def _check_unique_across(section: str, codes: list[str]) -> None:
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise GuideDataError(f"{section} 编码重复：{'、'.join(duplicates)}", field=section)


def _fail(file_name: str, guide: str | None, field: str, message: str) -> NoReturn:
    where = f"{file_name}：{_subject(guide)}：" if guide else f"{file_name}："
    raise GuideDataError(f"{where}字段 {field}：{message}", file=file_name, guide=guide, field=field)


def _subject(guide: str) -> str:
    return guide if guide.startswith("一件事") else f"指南 {guide}"
