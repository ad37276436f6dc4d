"""How the admin's run against the OpenAPI document is divided: the parts together call every
operation, and the coverage phase runs on one of each set of identical operations."""

from flask.testing import FlaskClient

from tests.api.openapi_fuzz import test_admin_other_versions, test_admin_v2_0
from tests.api.openapi_fuzz.fuzzing import PARTS, coverage_operations, part_of

RUNS = (test_admin_v2_0, test_admin_other_versions)


def test_each_part_is_run_once_and_has_operations(client: FlaskClient):
    """Every operation belongs to one part (by construction), each part to one test file,
    and no part is empty (a renamed prefix would otherwise leave its file nothing to do)."""
    assert sorted(module.PART for module in RUNS) == sorted(PARTS)
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {part_of(path) for path in paths} == set(PARTS)


def test_the_coverage_phase_runs_once_per_set_of_identical_operations(client: FlaskClient):
    """A legacy service in every version: the newest; operations that differ: each."""
    covered = coverage_operations(client.get("/api/openapi.json").get_json())
    meter_data = {path for method, path in covered if path.endswith("/postMeterData")}
    assert meter_data == {"/api/v2_0/postMeterData"}
    assert ("post", "/api/v3_0/assets/{asset_id}/schedules/trigger") in covered
    assert ("post", "/api/v3_0/sensors/{sensor_id}/schedules/trigger") in covered
    assert ("get", "/api/v2_0/assets") in covered and ("get", "/api/v3_0/assets") in covered
