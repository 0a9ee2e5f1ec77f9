"""What the search page and the API take as dates and parameters, and what the page shows back."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conftest import run
from search.filters import check_date
from search.server import create_app

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
