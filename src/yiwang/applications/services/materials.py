"""Materials (申请材料): which of the situation's materials the applicant still has to provide, and why
not the others; and attaching them to a case (相同材料只交一次, 免证办).

For each material on the list the catalog's situation wizard computes (``catalog.selectors.
evaluate_situation``: required ones, the ones the answers add, not the ones they remove), the plan
decides, most trusted first:

1. ``license``: the holder has a valid e-license of the material's ``license_type_code`` and the actor
   may act on it (``identity.selectors.may_act_on_license``); at submission the holder's consent for each
   department handling the case is recorded (``licenses.services.grant_consent``).
2. ``shared_data``: another part of the same bundle issues it (the tax part's 完税凭证 for the transfer
   registration), or the form says which shared data stand for it and the department holds a live
   exchange grant of those items for the item.
3. ``vault``: the holder's vault (材料库) has the same material (same key), still valid: uploaded or issued
   for an earlier case.
4. ``upload``: the applicant uploads it (``uploads.store_upload``); it then goes into the holder's vault.

A material of several parts of a bundle is one item of the plan (same key, or the same name).
"""

from __future__ import annotations

from .material_attach import MATERIALS_ATTACHED, attach, attach_in_transaction, record_consent
from .material_plan import EXEMPT, MaterialPlanItem, identity, plan
from .uploads import StoredFile, discard_upload, store_upload

__all__ = [
    "EXEMPT",
    "MATERIALS_ATTACHED",
    "MaterialPlanItem",
    "StoredFile",
    "attach",
    "attach_in_transaction",
    "discard_upload",
    "identity",
    "plan",
    "record_consent",
    "store_upload",
]
