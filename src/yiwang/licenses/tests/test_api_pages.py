"""Every licenses list answers one page shape; a page's cost does not grow with its size."""

import pytest

from yiwang.core.tests.pages import assert_page_cost_does_not_grow, walk_pages
from yiwang.licenses.services import read_license_with_consent

from .conftest import log_in
from .factories import LicenseTypeFactory, make_license

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder_with_history(world):
    """The world's holder with three licenses (three issuers, so three keys), two consents and three uses."""
    for _ in range(2):
        make_license(holder=world.holder)
    for _ in range(2):
        read_license_with_consent(
            actor=world.requester,
            identifier=world.license.identifier,
            requester_credit_code=world.requester_department.credit_code,
        )
    return world


@pytest.mark.parametrize(
    ("path", "count"),
    [("/api/v1/licenses/mine", 3), ("/api/v1/licenses/consents", 2), ("/api/v1/licenses/uses", 3)],
)
def test_the_holders_lists_come_in_pages(client, holder_with_history, django_assert_num_queries, path, count):
    log_in(client, holder_with_history.holder)
    assert_page_cost_does_not_grow(client, django_assert_num_queries, path)
    assert len(walk_pages(client, path, limit=1)) == count


def test_license_types_come_in_pages(client, django_assert_num_queries):
    LicenseTypeFactory.create_batch(3)
    assert_page_cost_does_not_grow(client, django_assert_num_queries, "/api/v1/licenses/types")
    codes = [item["code"] for item in walk_pages(client, "/api/v1/licenses/types")]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) >= 3


def test_published_keys_come_in_pages(client, holder_with_history, django_assert_num_queries):
    assert_page_cost_does_not_grow(client, django_assert_num_queries, "/api/v1/licenses/keys")
    keys = walk_pages(client, "/api/v1/licenses/keys")
    assert len(keys) >= 3 and all("PRIVATE" not in key["public_key_pem"] for key in keys)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 101}, "invalid_limit"),
        ({"cursor": "forged"}, "invalid_cursor"),
    ],
)
def test_bad_paging_parameters_are_clear_errors(client, params, code):
    response = client.get("/api/v1/licenses/types", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
