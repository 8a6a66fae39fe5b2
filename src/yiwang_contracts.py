"""Custom import-linter contracts: the layers of the product code, and each app's public surface.

Configured in pyproject.toml ([tool.importlinter] contract_types). Not part of the platform: only
``lint-imports`` loads it.

Both contracts judge the product code, not the tests: a test of a lower app may build its scenario with
a higher app's factories (the audit log's tests need accounts and staff roles). ``product_layers`` is
import-linter's ``layers`` contract run on the graph without the ``tests`` packages; it takes no
``ignore_imports``.

``public_surface`` contract options:
    - containers:        the apps whose insides are guarded (e.g. yiwang.identity).
    - public:            the submodule names other apps may import (models, constants, services, ...);
                         anything inside them is public too, and so is the app package itself.
    - exempt_importers:  modules that put the apps together and may use an app's edges (the API root
                         mounting routers, the demo loader, root urls and settings).
"""

from __future__ import annotations

import copy

from importlinter import Contract, ContractCheck, fields, output
from importlinter.contracts.layers import LayersContract


def _without_tests(graph):
    """A copy of the graph without the ``tests`` packages of the apps."""
    graph = copy.deepcopy(graph)
    for module in sorted(graph.modules):
        if ".tests." in module + "." and module in graph.modules:
            graph.remove_module(module)
    return graph


class ProductLayersContract(LayersContract):
    """import-linter's layers contract on the product code (tests left out), with no exceptions."""

    type_name = "product_layers"

    def check(self, graph, verbose: bool) -> ContractCheck:
        if self.ignore_imports:  # type: ignore[attr-defined]
            raise ValueError("product_layers takes no ignore_imports: fix the import instead")
        return super().check(_without_tests(graph), verbose)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


class PublicSurfaceContract(Contract):
    type_name = "public_surface"

    containers = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())
    exempt_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def _is_private(self, module: str, container: str) -> bool:
        if module == container:
            return False
        first = module[len(container) + 1 :].split(".")[0]
        return first not in set(self.public)  # type: ignore[arg-type]

    def check(self, graph, verbose: bool) -> ContractCheck:
        exempt = list(self.exempt_importers or [])  # type: ignore[arg-type]
        graph = _without_tests(graph)
        violations = []
        for container in self.containers:  # type: ignore[attr-defined]
            for module in sorted(graph.modules):
                if not _within(module, container) or not self._is_private(module, container):
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if _within(importer, container) or any(_within(importer, e) for e in exempt):
                        continue
                    details = graph.get_import_details(importer=importer, imported=module)
                    lines = sorted({detail["line_number"] for detail in details})
                    violations.append({"importer": importer, "imported": module, "lines": lines})
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(f"l.{line}" for line in violation["lines"])
            output.print_error(
                f"{violation['importer']} imports the private module {violation['imported']} ({lines})",
                bold=False,
            )
        output.new_line()
        output.print("Import the app's models, constants, services, selectors or tasks instead.")


class OneDoorwayContract(Contract):
    """An outside package is imported directly only inside one doorway package (ADR 0009: SpiffWorkflow
    only in ``yiwang.applications.workflow``), tests included; no ``ignore_imports``.

    Options: ``package`` (the outside package), ``doorway`` (the one package that may import it).
    """

    type_name = "one_doorway"

    package = fields.StringField()
    doorway = fields.StringField()

    def check(self, graph, verbose: bool) -> ContractCheck:
        package, doorway = str(self.package), str(self.doorway)
        violations = []
        for importer in sorted(graph.find_modules_that_directly_import(package)):
            if _within(importer, doorway):
                continue
            details = graph.get_import_details(importer=importer, imported=package)
            lines = sorted({detail["line_number"] for detail in details})
            violations.append({"importer": importer, "imported": package, "lines": lines})
        for module in sorted(graph.modules):
            if not _within(module, package) or module == package:
                continue
            for importer in sorted(graph.find_modules_that_directly_import(module)):
                if _within(importer, doorway) or _within(importer, package):
                    continue
                details = graph.get_import_details(importer=importer, imported=module)
                lines = sorted({detail["line_number"] for detail in details})
                violations.append({"importer": importer, "imported": module, "lines": lines})
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(str(line) for line in violation["lines"])
            output.print_error(
                f"{violation['importer']} imports {violation['imported']} (line {lines}): "
                f"only {self.doorway} may import {self.package}"
            )
