"""The seed's Python REST examples, as documentation/market.md shows them (the GLocalFlex
seed's code with the host changed), run as written against a live HTTPS server: a token,
a refreshed token, a sell order and a buy order that fills it.

The server's certificate is self-signed; ``REQUESTS_CA_BUNDLE`` makes ``requests`` trust it,
so the examples need no ``verify=False``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URI, TEST_PASSWORD

from .live_streams import live_market

DOC = Path(__file__).resolve().parents[2] / "documentation" / "market.md"
DOC_HOST = "https://localhost:5000"


def python_examples() -> list[str]:
    """The Python code blocks of documentation/market.md that send requests, in order."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    return [block for block in blocks if "requests.post" in block]


def run_example(code: str, base_url: str, **placeholders: str):
    """Run an example with its host changed and its placeholders set; return its response."""
    namespace: dict = dict(placeholders)
    exec(compile(code.replace(DOC_HOST, base_url), "market.md", "exec"), namespace)
    return namespace["response"]


@pytest.mark.slow
def test_the_seeds_python_examples_run_against_the_server(tmp_path, monkeypatch, capsys):
    token, refresh, sell, buy = python_examples()
    with live_market(TEST_DATABASE_URI, None, tmp_path) as market:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(market.cert_file))
        base = market.https_url("")

        def tokens_of(username: str) -> dict:
            answer = run_example(token, base, YOUR_USERNAME=username, YOUR_PASSWORD=TEST_PASSWORD)
            assert answer.status_code == 200, answer.text
            return answer.json()

        seller = tokens_of("seller")
        renewed = run_example(refresh, base, YOUR_REFRESH_TOKEN=seller["refresh_token"])
        assert renewed.status_code == 200 and renewed.json()["token_type"] == "Bearer"
        sold = run_example(sell, base, YOUR_ACCESS_TOKEN=renewed.json()["access_token"])
        assert sold.status_code == 200, sold.text
        assert sold.json()["status"] == "matching_active"
        bought = run_example(buy, base, YOUR_ACCESS_TOKEN=tokens_of("buyer")["access_token"])
        assert bought.status_code == 200, bought.text
        assert bought.json()["status"] == "filled"
    assert '"side": "buy"' in capsys.readouterr().out  # the examples print what they sent
