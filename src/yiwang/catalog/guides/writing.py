"""Writing a validated guide catalog: upsert by code, child rows synced in place, nothing written twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

from yiwang.regions.models import Department, Region
from yiwang.regions.services import upsert_department

from ..citations import mark_citations_for_review
from ..models import (
    FAQ,
    Bundle,
    BundleItem,
    Citation,
    Fee,
    Implementation,
    LegalInstrument,
    Material,
    ProcessStep,
    ServiceItem,
    SituationOption,
    SituationQuestion,
    SpecialStep,
    Topic,
)
from .reading import GuideCatalog, GuideDataError
from .schema import BundleSpec, DepartmentSpec, GuideSpec, ItemSpec, QuestionSpec

# The catalog importer (importers.py) owns these fields of the real, published items and implementations:
# once such a row exists the guides only write their content, so the two loaders never undo each other.
IMPORTER_ITEM_FIELDS = {
    "name",
    "kind",
    "handling_type",
    "item_type",
    "exercise_level",
    "competent_department",
}
IMPORTER_IMPLEMENTATION_FIELDS = {"item_id", "name", "region_id", "department_id"}


@dataclass
class GuideLoadSummary:
    """What a load did; ``rows_written`` is 0 when the database already matched the files."""

    files: int = 0
    topics: int = 0
    items: int = 0
    implementations: int = 0
    bundles: int = 0
    departments_created: int = 0
    implementations_created: int = 0
    implementations_changed: int = 0
    rows_written: int = 0
    implementation_ids: list[int] = field(default_factory=list)
    bundle_ids: list[int] = field(default_factory=list)


class _Writer:
    """Holds the lookups of one load and counts every row it creates, changes or deletes."""

    def __init__(self, catalog: GuideCatalog) -> None:
        self.catalog = catalog
        self.summary = GuideLoadSummary(files=len(catalog.files))
        self.departments: dict[str, Department] = {}
        self.topics: dict[str, Topic] = {}
        self.implementations: dict[str, Implementation] = {}
        self.instruments: dict[str, LegalInstrument] = {}

    def write(self) -> GuideLoadSummary:
        self._check_regions()
        for spec in self.catalog.departments.values():
            self.departments[spec.short_name] = self._department(spec)
        for spec in self.catalog.topics.values():
            values = spec.model_dump(mode="json", exclude={"code"})
            self.topics[spec.code] = self._save(
                Topic, Topic.objects.filter(code=spec.code).first(), {"code": spec.code}, values
            )
        self._instruments()
        for guide in self.catalog.guides:
            self._guide(guide)
        for bundle in self.catalog.bundles:
            self._bundle(bundle)
        self.summary.topics = len(self.topics)
        return self.summary

    def _instruments(self) -> None:
        """Instruments are upserted by code; a newer revision date marks the guides citing it for review."""
        for spec in self.catalog.instruments.values():
            existing = LegalInstrument.objects.filter(code=spec.code).first()
            if existing is not None and spec.revised_on and existing.revised_on != spec.revised_on:
                mark_citations_for_review(instrument=existing, revised_on=spec.revised_on)
            values = {
                "name": spec.name,
                "document_number": spec.document_number,
                "revised_on": spec.revised_on,
                "source_url": spec.url,
                "is_in_force": spec.in_force,
            }
            self.instruments[spec.code] = self._save(LegalInstrument, existing, {"code": spec.code}, values)
        for spec in self.catalog.instruments.values():
            replaced_by = self.instruments[spec.replaced_by].pk if spec.replaced_by else None
            self._save(LegalInstrument, self.instruments[spec.code], {}, {"replaced_by_id": replaced_by})

    def _check_regions(self) -> None:
        wanted = {spec.region_code for spec in self.catalog.departments.values()}
        wanted |= {guide.implementation.region_code for guide in self.catalog.guides}
        wanted |= {bundle.region_code for bundle in self.catalog.bundles}
        missing = wanted - set(Region.objects.filter(code__in=wanted).values_list("code", flat=True))
        if missing:
            raise GuideDataError(
                f"行政区划 {'、'.join(sorted(missing))} 不存在，请先运行 load_regions", code="unknown_region"
            )

    def _department(self, spec: DepartmentSpec) -> Department:
        """The department the county data already has under this short name, or a fallback created now."""
        found = (
            Department.objects.filter(region_id=spec.region_code, short_name=spec.short_name).first()
            or Department.objects.filter(credit_code=spec.credit_code).first()
            or Department.objects.filter(region_id=spec.region_code, name=spec.name).first()
        )
        if found is not None:
            return found
        self.summary.departments_created += 1
        self.summary.rows_written += 1
        return upsert_department(
            credit_code=spec.credit_code,
            name=spec.name,
            region_code=spec.region_code,
            short_name=spec.short_name,
            phone=spec.phone,
            address=spec.address,
        )

    def _guide(self, guide: GuideSpec) -> None:
        before = self.summary.rows_written
        item = self._item(guide)
        spec = guide.implementation
        existing = Implementation.objects.filter(code=spec.code).first()
        values = spec.model_dump(exclude={"code", "published", "region_code", "department"})
        values |= {
            "item_id": item.pk,
            "region_id": spec.region_code,
            "department_id": self.departments[spec.department].pk,
            "is_free": not guide.fees,
            "is_active": True,
        }
        if spec.published and existing is not None:
            values = {
                name: value for name, value in values.items() if name not in IMPORTER_IMPLEMENTATION_FIELDS
            }
        implementation = self._save(Implementation, existing, {"code": spec.code}, values)
        self._children(implementation, guide)
        self.implementations[spec.code] = implementation
        self.summary.implementations += 1
        self.summary.implementation_ids.append(implementation.pk)
        if existing is None:
            self.summary.implementations_created += 1
        elif self.summary.rows_written > before:
            self.summary.implementations_changed += 1

    def _item(self, guide: GuideSpec) -> ServiceItem:
        spec = guide.item
        existing = ServiceItem.objects.filter(code=spec.code).first()
        values = spec.model_dump(mode="json", exclude={"code", "parent", "topics", "keywords"})
        values |= {"keywords": " ".join(spec.keywords), "is_active": True}
        if guide.implementation.published and existing is not None:
            values = {name: value for name, value in values.items() if name not in IMPORTER_ITEM_FIELDS}
        else:
            values["parent_id"] = self._parent(spec).pk if spec.parent else None
        item = self._save(ServiceItem, existing, {"code": spec.code}, values)
        self._set_related(item.topics, [self.topics[code] for code in spec.topics])
        self.summary.items += 1
        return item

    def _parent(self, spec: ItemSpec) -> ServiceItem:
        """The parent item as found, or created with what the guide knows about it."""
        assert spec.parent is not None
        parent, created = ServiceItem.objects.get_or_create(
            code=spec.parent.code,
            defaults={
                "name": spec.parent.name,
                "kind": spec.parent.kind,
                "item_type": spec.item_type,
                "exercise_level": spec.exercise_level,
                "competent_department": spec.competent_department,
                "audiences": [str(audience) for audience in spec.audiences],
            },
        )
        self.summary.rows_written += int(created)
        return parent

    def _children(self, implementation: Implementation, guide: GuideSpec) -> None:
        owner = {"implementation": implementation}
        license_names = self.catalog.license_types
        materials = self._sync(
            Material,
            owner,
            "key",
            [
                {
                    **material.model_dump(mode="json", exclude={"blank_form", "sample"}),
                    "order": order,
                    "blank_form_url": material.blank_form,
                    "sample_url": material.sample,
                    "license_type_name": license_names.get(material.license_type_code, ""),
                }
                for order, material in enumerate(guide.materials)
            ],
        )
        fees = self._sync(
            Fee,
            owner,
            "name",
            [
                {
                    **fee.model_dump(exclude={"by_situation"}),
                    "is_by_situation": fee.by_situation,
                    "order": order,
                }
                for order, fee in enumerate(guide.fees)
            ],
        )
        self._sync(
            ProcessStep,
            owner,
            "order",
            [{**step.model_dump(), "order": order} for order, step in enumerate(guide.steps)],
        )
        self._sync(SpecialStep, owner, "name", [step.model_dump() for step in guide.special_steps])
        self._sync(
            FAQ,
            owner,
            "order",
            [{**faq.model_dump(), "order": order} for order, faq in enumerate(guide.faqs)],
        )
        by_key = {key: [material] for key, material in materials.items()}
        self._questions({"implementation": implementation}, guide.questions, by_key, fees)
        self._citations(implementation, guide)

    def _citations(self, implementation: Implementation, guide: GuideSpec) -> None:
        existing = {(c.instrument_id, c.article, c.statement): c for c in implementation.citations.all()}
        for spec in guide.citations:
            instrument = self.instruments[spec.instrument]
            found = existing.pop((instrument.pk, spec.article, spec.statement), None)
            values = {"checked_on": spec.checked_on, "source_url": spec.url}
            if found is not None and spec.checked_on and found.checked_on != spec.checked_on:
                values |= {"needs_review": False, "review_reason": ""}  # checked again in the files
            self._save(
                Citation,
                found,
                {
                    "implementation": implementation,
                    "instrument": instrument,
                    "article": spec.article,
                    "statement": spec.statement,
                },
                values,
            )
        self._delete([citation.pk for citation in existing.values()], Citation)

    def _questions(
        self,
        owner: dict[str, Any],
        questions: list[QuestionSpec],
        materials: dict[Any, list[Material]],
        fees: dict[Any, Fee],
    ) -> None:
        """Sync the questions of a guide or a bundle (``owner``); a bundle's material key may name the
        same material in several member guides."""
        existing = {question.code: question for question in SituationQuestion.objects.filter(**owner)}
        options_by_ref: dict[str, SituationOption] = {}
        for order, spec in enumerate(questions):
            shown_when = options_by_ref[spec.shown_when].pk if spec.shown_when else None
            values = {
                "order": order,
                "text": spec.text,
                "help_text": spec.help_text,
                "shown_when_id": shown_when,
            }
            question = self._save(
                SituationQuestion, existing.pop(spec.code, None), {**owner, "code": spec.code}, values
            )
            options = self._sync(
                SituationOption,
                {"question": question},
                "code",
                [
                    {
                        "code": option.code,
                        "order": position,
                        "label": option.label,
                        "explanation": option.explanation,
                        "waives_fees": option.waives_fees,
                        "promised_limit_days": option.promised_limit_days,
                        "promised_limit_unit": option.promised_limit_unit,
                    }
                    for position, option in enumerate(spec.options)
                ],
            )
            for option_spec in spec.options:
                option = options[option_spec.code]
                for manager, keys in (
                    (option.adds_materials, option_spec.adds_materials),
                    (option.removes_materials, option_spec.removes_materials),
                ):
                    self._set_related(manager, [m for key in keys for m in materials[key]])
                self._set_related(option.adds_fees, [fees[name] for name in option_spec.adds_fees])
                self._set_related(
                    option.skips_implementations,
                    [self.implementations[code] for code in option_spec.skips_implementations],
                )
                options_by_ref[f"{spec.code}.{option_spec.code}"] = option
        self._delete([question.pk for question in existing.values()], SituationQuestion)

    def _bundle(self, spec: BundleSpec) -> None:
        values = spec.model_dump(
            mode="json",
            exclude={
                "code",
                "region_code",
                "lead_department",
                "implementations",
                "topics",
                "keywords",
                "questions",
            },
        )
        values |= {
            "region_id": spec.region_code,
            "lead_department_id": self.departments[spec.lead_department].pk,
            "keywords": " ".join(spec.keywords),
            "is_active": True,
        }
        bundle = self._save(
            Bundle, Bundle.objects.filter(code=spec.code).first(), {"code": spec.code}, values
        )
        self._sync(
            BundleItem,
            {"bundle": bundle},
            "implementation_id",
            [
                {"implementation_id": self.implementations[code].pk, "order": order}
                for order, code in enumerate(spec.implementations)
            ],
        )
        self._set_related(bundle.topics, [self.topics[code] for code in spec.topics])
        members = [self.implementations[code] for code in spec.implementations]
        by_key: dict[str, list[Material]] = {}
        for material in Material.objects.filter(implementation__in=members).exclude(key="").order_by("pk"):
            by_key.setdefault(material.key, []).append(material)
        self._questions({"bundle": bundle}, spec.questions, by_key, {})
        self.summary.bundles += 1
        self.summary.bundle_ids.append(bundle.pk)

    def _save(
        self,
        model: type[models.Model],
        instance: models.Model | None,
        identity: dict[str, Any],
        values: dict[str, Any],
    ) -> Any:
        """Create the row, or update only the fields whose value differs."""
        if instance is None:
            self.summary.rows_written += 1
            return model.objects.create(**identity, **values)
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            for name in changed:
                setattr(instance, name, values[name])
            stamp = ["updated_at"] if any(f.name == "updated_at" for f in model._meta.fields) else []
            instance.save(update_fields=changed + stamp)
            self.summary.rows_written += 1
        return instance

    def _sync(
        self, model: type[models.Model], owner: dict[str, Any], key: str, rows: list[dict[str, Any]]
    ) -> dict[Any, Any]:
        """Make the owner's rows of ``model`` exactly ``rows``, matched on ``key``; return them by key."""
        existing: dict[Any, models.Model] = {}
        surplus: list[int] = []
        for instance in model.objects.filter(**owner).order_by("pk"):
            bucket = surplus if getattr(instance, key) in existing else None
            if bucket is not None:
                bucket.append(instance.pk)
            else:
                existing[getattr(instance, key)] = instance
        result = {}
        for row in rows:
            values = {name: value for name, value in row.items() if name != key}
            result[row[key]] = self._save(
                model, existing.pop(row[key], None), {**owner, key: row[key]}, values
            )
        self._delete(surplus + [instance.pk for instance in existing.values()], model)
        return result

    def _delete(self, pks: list[int], model: type[models.Model]) -> None:
        if pks:
            model.objects.filter(pk__in=pks).delete()
            self.summary.rows_written += len(pks)

    def _set_related(self, manager: Any, targets: list[models.Model]) -> None:
        wanted = {target.pk for target in targets}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(targets)
            self.summary.rows_written += 1


def write_guide_catalog(*, catalog: GuideCatalog) -> GuideLoadSummary:
    """Write the catalog; the caller holds the transaction."""
    return _Writer(catalog).write()
