"""What the search page and the API take as dates and parameters, and what the page shows back."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conftest import run
from search.filters import check_date
from search.serving.server import create_app

NOT_DATES = ["2021\n", "2020-09-14\n", "٢٠٢٠", "2020-٠٩", "２０２０"]  # a trailing newline; Arabic-Indic, fullwidth digits


@pytest.fixture
def client(seeds_index) -> TestClient:
    return TestClient(create_app(seeds_index), raise_server_exceptions=False)


@pytest.mark.parametrize("value", NOT_DATES)
def test_only_ascii_digits_and_nothing_after_are_a_date(value):
    with pytest.raises(ValueError) as error:
        check_date(value)
    assert str(error.value) == f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY"


@pytest.mark.parametrize("value", NOT_DATES)
def test_a_date_of_other_digits_is_400_on_the_api(client, value):
    answer = client.get("/api/search", params={"q": "Putin", "until": value})
    assert (answer.status_code, answer.json()) == (
        400, {"error": f"parameter 'until': {value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY"})


@pytest.mark.parametrize("value", ["٢٠٢١", "2021\n"])
def test_a_date_of_other_digits_is_a_usage_error_in_the_cli(runner, seeds_index, value):
    result = run(runner, "search", "Putin", "--until", value, "--index", seeds_index)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--until': {value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY")


def test_the_page_passes_over_unknown_parameters_the_api_refuses(client):
    wanted = {"q": "paratroopers", "mode": "keyword"}
    tracked = [*wanted.items(), ("fbclid", "IwAR0x"), ("utm_source", "a"), ("utm_source", "b")]
    answer = client.get("/api/search", params=tracked)
    assert (answer.status_code, answer.json()) == (
        400, {"error": "unknown parameter 'fbclid'; known: q, k, mode, lang, since, until, source, group, sort, offset, facets"})
    page, plain = client.get("/", params=tracked), client.get("/", params=wanted)
    assert (page.status_code, plain.status_code) == (200, 200)
    assert "<mark>paratroopers</mark>" in page.text
    assert page.text == plain.text


def test_after_a_400_the_form_shows_what_was_typed(client):
    page = client.get("/", params={"q": "Putin & Lukashenko", "lang": "en", "since": "2020-9", "until": "2021",
                                   "source": "kompas", "fbclid": "IwAR0x"})
    assert page.status_code == 400
    assert "From: &#39;2020-9&#39; is not a date: use YYYY-MM-DD, YYYY-MM or YYYY" in page.text  # the field's label
    assert "<title>Putin &amp; Lukashenko · Lintas</title>" in page.text
    for field in ('name="q" value="Putin &amp; Lukashenko"', '<option value="en" selected>English</option>',
                  'name="since" value="2020-9"', 'name="until" value="2021"', 'name="source" list="sources" value="kompas"'):
        assert field in page.text, field
    assert 'class="results"' not in page.text
