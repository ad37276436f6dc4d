"""The API reference (documentation/api/) is true: every example in it runs against the app
and gets the documented status and response, every service of every version has its
section on the version's page, and the generated service tables are current.

Each page's examples run in file order in one world (see conftest.py), as one test per
example. Examples for services the app does not have yet are skipped until it does.
Known API bugs that an example reveals are listed in KNOWN_BUGS (xfail, strict).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from flexmeasures.api.common.schemas.statuses import rejections_of
from flexmeasures.api.versions import all_versions
from flexmeasures.jobs import QUEUE_NAMES, make_worker, queues_are_async

from .api_examples import Example, ExampleError, mismatches, parse_examples, parse_spec
from .conftest import ASSETS, USERS, WORLD_PASSWORD, PageWorld

ROOT = Path(__file__).resolve().parent.parent.parent
API_DOCS = ROOT / "documentation" / "api"
VERSION_PAGES = {
    "v1": "v1_0.md",
    "v1_1": "v1_1.md",
    "v1_2": "v1_2.md",
    "v1_3": "v1_3.md",
    "v2_0": "v2_0.md",
    "v3_0": "v3_0.md",
}
# (page, example comment) -> why the API answers otherwise than documented
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def load_generator() -> ModuleType:
    """Import documentation/api/generate_service_tables.py (documentation/ is no package)."""
    path = API_DOCS / "generate_service_tables.py"
    spec = importlib.util.spec_from_file_location("generate_service_tables", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def route_exists(world: PageWorld, example: Example) -> bool:
    """True if the app has a route for the example's path (any method)."""
    adapter = world.app.url_map.bind("localhost")
    try:
        adapter.match(example.path.split("?")[0], method=example.method)
    except MethodNotAllowed:
        return True
    except NotFound:
        return False
    return True


def run_queued_jobs(world: PageWorld) -> None:
    """Run every queued job now, in this process (for ``after-jobs`` examples)."""
    if queues_are_async(world.app):
        make_worker(list(QUEUE_NAMES)).work(burst=True)


def run_example(world: PageWorld, example: Example) -> None:
    """Send the example's request and check the answer against the documented one."""
    if not route_exists(world, example) and example.status != 404:
        pytest.skip(f"{example.method} {example.path} does not exist in this app yet")
    if "after-jobs" in example.flags:
        run_queued_jobs(world)
    headers = {"Authorization": world.tokens[example.user]} if example.user else {}
    body = {} if example.request is None else {"json": example.request}
    response = world.client.open(example.path, method=example.method, headers=headers, **body)
    answer = response.get_json(silent=True)
    assert response.status_code == example.status, (
        f"{example.page}:{example.line}: expected HTTP {example.status}, got "
        f"{response.status_code}: {answer or response.data[:500]!r}"
    )
    if example.response is not None:
        found = mismatches(example.response, answer)
        assert not found, f"{example.page}:{example.line}:\n" + "\n".join(found)
    elif example.status == 204:
        assert response.data == b""


def pytest_generate_tests(metafunc):
    """Parametrize each page class's ``example`` with the examples of its page."""
    if "example" in metafunc.fixturenames:
        page = API_DOCS / metafunc.cls.page
        examples = parse_examples(page) if page.exists() else []
        metafunc.parametrize("example", examples, ids=[e.test_id for e in examples])


class PageExamples:
    """Runs the examples of ``page`` in file order, in one world, in ``mode``."""

    page = ""
    mode = ""

    def test_example(self, request, page_world: PageWorld, example: Example):
        reason = KNOWN_BUGS.get((example.page, example.spec))
        if reason:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
        run_example(page_world, example)


class TestIntroductionExamples(PageExamples):
    page = "introduction.md"


class TestSimulationExamples(PageExamples):
    page = "simulation.md"
    mode = "play"


class TestVersion1_0Examples(PageExamples):
    page = "v1_0.md"


class TestVersion1_1Examples(PageExamples):
    page = "v1_1.md"


class TestVersion1_2Examples(PageExamples):
    page = "v1_2.md"


class TestVersion1_3Examples(PageExamples):
    page = "v1_3.md"


class TestVersion2_0Examples(PageExamples):
    page = "v2_0.md"


class TestVersion3_0Examples(PageExamples):
    page = "v3_0.md"


class TestOpsExamples(PageExamples):
    page = "ops.md"


class TestChangeLogExamples(PageExamples):
    page = "change_log.md"


def test_the_introduction_describes_the_world_the_examples_run_in():
    text = (API_DOCS / "introduction.md").read_text()
    assert f"password `{WORLD_PASSWORD}`" in text
    for id_, (_, username, email, _, _) in USERS.items():
        assert f"| {id_} | {username} | {email} |" in text, f"describe user {id_}"
    for id_, (name, *_) in ASSETS.items():
        assert f"| {id_} | {name} |" in text, f"describe asset {id_}"


def test_every_page_with_examples_runs_them():
    tested = {cls.page for cls in PageExamples.__subclasses__()}
    with_examples = {p.name for p in API_DOCS.glob("*.md") if parse_examples(p)}
    assert with_examples <= tested, f"Add a PageExamples class for {with_examples - tested}"


def headings(page: str) -> set[str]:
    """The text of the level-3 headings of a page (without backticks)."""
    text = (API_DOCS / page).read_text()
    return {h.replace("`", "").strip() for h in re.findall(r"^### (.+)$", text, re.M)}


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.name)
def test_every_service_has_a_section_on_its_version_page(version):
    documented = headings(VERSION_PAGES[version.name])
    missing = [name for name in version.services if name not in documented]
    assert not missing, f"Document these services in {VERSION_PAGES[version.name]}: {missing}"


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.name)
def test_every_rest_endpoint_has_a_section_on_its_version_page(version):
    generator = load_generator()
    documented = headings(VERSION_PAGES[version.name])
    routes = [f"{method} {path}" for method, path, _ in generator.rest_endpoints(version)]
    missing = [route for route in routes if route not in documented]
    assert not missing, f"Document these endpoints in {VERSION_PAGES[version.name]}: {missing}"


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.name)
def test_every_service_has_an_example_on_its_version_page(version):
    page = VERSION_PAGES[version.name]
    paths = {e.path.split("?")[0] for e in parse_examples(API_DOCS / page)}
    missing = [name for name in version.services if f"/api/{version.name}/{name}" not in paths]
    assert not missing, f"Give these services an example in {page}: {missing}"


def section(page: str, heading: str) -> str:
    """The text under a level-3 heading of a page, up to the next heading of level 2 or 3."""
    text = (API_DOCS / page).read_text()
    match = re.search(rf"^### `?{re.escape(heading)}`?\n(.*?)(?=^##)", text + "\n##", re.S | re.M)
    return match.group(1) if match else ""


@pytest.mark.parametrize("version", all_versions(), ids=lambda v: v.name)
def test_every_service_section_names_the_statuses_it_answers(version):
    page = VERSION_PAGES[version.name]
    for name, service in version.services.items():
        statuses = {"PROCESSED", "INVALID_METHOD", *rejections_of(name)}
        if not service.public:
            statuses |= {"UNAUTHORIZED", "INVALID_SENDER"}
        text = section(page, name)
        missing = sorted(status for status in statuses if f"`{status}`" not in text)
        assert not missing, f"{page}, section {name}: name the statuses {missing}"


def test_generated_service_tables_are_current():
    generator = load_generator()
    for version in all_versions():
        page = API_DOCS / VERSION_PAGES[version.name]
        text = page.read_text()
        expected = generator.replace_generated_part(text, generator.render_tables(version))
        assert text == expected, "Run python documentation/api/generate_service_tables.py"


@pytest.mark.parametrize("page", sorted(API_DOCS.glob("*.md")), ids=lambda path: path.name)
def test_links_of_the_api_pages_resolve(page: Path):
    anchor = load_generator().anchor
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path_part, _, fragment = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        assert linked.exists(), f"{page.name} links to missing {target}"
        if fragment and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            assert f"#{fragment}" in {anchor(h) for h in headings}, f"{page.name}: {target}"


def test_examples_of_services_the_app_lacks_are_recognised(app):
    world = PageWorld(app, app.test_client(), {})
    lacking = Example("v2_0.md", 1, "", "GET", "/api/v2_0/no-such-endpoint?x=1", None, 200, ())
    wrong_method = Example("v1_1.md", 1, "", "POST", "/api/v1_1/getMeterData", None, 405, ())
    assert not route_exists(world, lacking)
    assert route_exists(world, wrong_method)


def test_generator_refuses_a_page_without_markers():
    with pytest.raises(ValueError, match="markers"):
        load_generator().replace_generated_part("# v1\n", "table")


def test_malformed_examples_are_refused(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- example: POST /api/v1/postMeterData as mdc expect 200 -->\n```json\n{}\n```\n"
    )
    with pytest.raises(ExampleError, match="expected 2 fenced blocks"):
        parse_examples(page)
    with pytest.raises(ExampleError, match="cannot read"):
        parse_spec("FETCH /api/ expect 200", "page.md:1")
    with pytest.raises(ExampleError, match="unknown flags"):
        parse_spec("GET /api/ expect 200 quickly", "page.md:1")


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ({"a": 1}, {"a": 1.0, "b": 2}, True),
        ({"a": 1}, {"a": "1"}, False),
        ({"a": True}, {"a": 1}, False),
        ({"a": "..."}, {"a": [1, 2]}, True),
        ({"m": "Request has..."}, {"m": "Request has been processed."}, True),
        ({"m": "Request was..."}, {"m": "Request has been processed."}, False),
        ([1, 2], [1, 2, 3], False),
        ([1, "..."], [1, 2, 3], True),
        ([{"name": "x"}], [{"name": "x", "more": 1}], True),
        ({"a": None}, {"a": 0}, False),
        ({"a": 1}, {}, False),
    ],
)
def test_expected_responses_are_subsets_of_actual_ones(expected, actual, matches):
    assert (not mismatches(expected, actual)) is matches
