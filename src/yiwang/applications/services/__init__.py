"""Applications' writes, one module per concern; callers import the module they need.

``forms`` (form versions, conditions, prefill checks), ``materials`` (plans, uploads, the vault),
``cases`` (submission, acceptance, supplements, the clock's stops, decisions, withdrawal),
``clock`` (planned end dates), ``numbers`` (case numbers and query codes), ``bundles`` (一件事 parents
and sub-cases), ``results`` (e-licenses and decision documents), ``runtime`` (the one doorway from a case
to its BPMN workflow), ``processes`` (import, versions, migration), ``payments`` (fees).
"""
