"""Region-scope arithmetic: the one place that knows a region's code is a prefix of the codes inside it.

Statistical region codes have 12 digits: 2 for the province, 4 for the city, 6 for the county, 9 for the
township and 12 for the village, padded with zeros. Everything below is arithmetic on the code; no query.
Other apps reach these through ``yiwang.regions.selectors``.
"""

from __future__ import annotations

CODE_LENGTH = 12
# The digits each level owns, from the province (level 1) down to the village (level 5).
PREFIX_LENGTH_BY_LEVEL = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
_PREFIX_LENGTHS = tuple(PREFIX_LENGTH_BY_LEVEL.values())


def region_prefix(*, code: str, level: int) -> str:
    """The leading digits every region inside the region ``code`` (of ``level``) shares."""
    return code[: PREFIX_LENGTH_BY_LEVEL.get(level, CODE_LENGTH)]


def region_contains(*, outer_code: str, outer_level: int, inner_code: str) -> bool:
    """Whether the region ``inner_code`` lies within the region ``outer_code`` (or is it)."""
    return inner_code.startswith(region_prefix(code=outer_code, level=outer_level))


def pad_region_code(code: str) -> str:
    """Statistical codes of 2/4/6/9/12 digits, padded to the 12-digit form."""
    return code.ljust(CODE_LENGTH, "0")


def ancestor_codes(code: str) -> list[str]:
    """The 12-digit codes of the region and every region above it, most specific first.

    Pure arithmetic: a code whose higher levels are not loaded still yields them; callers that need
    the regions that exist filter on these codes.
    """
    code = code.strip()
    codes: list[str] = []
    for length in reversed(_PREFIX_LENGTHS):
        candidate = pad_region_code(code[:length])
        if candidate not in codes:
            codes.append(candidate)
    return codes
