"""``flexmeasures run`` serves HTTPS given a certificate and key (options or settings) and
checks both files before it starts."""

from __future__ import annotations

import ssl

import pytest

from flexmeasures.cli import cli
from tests.cli.conftest import assert_one_line_error
from tests.market.live_streams import self_signed_certificate


@pytest.fixture
def pem(tmp_path) -> tuple[str, str]:
    """A self-signed certificate and its key."""
    cert, key = self_signed_certificate(tmp_path)
    return str(cert), str(key)


def test_run_serves_tls_with_the_given_certificate_and_key(app, db, served, pem):
    result = app.test_cli_runner().invoke(cli, ["run", "--cert", pem[0], "--key", pem[1]])
    assert result.exit_code == 0, result.output
    assert isinstance(served[0]["cert"], ssl.SSLContext) and "key" not in served[0]


def test_run_takes_the_certificate_and_key_from_the_settings(app, db, served, pem, monkeypatch):
    monkeypatch.setitem(app.config, "FLEXMEASURES_TLS_CERT_FILE", pem[0])
    monkeypatch.setitem(app.config, "FLEXMEASURES_TLS_KEY_FILE", pem[1])
    result = app.test_cli_runner().invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    assert isinstance(served[0]["cert"], ssl.SSLContext)


def test_run_without_certificate_serves_plain_http(app, db, served):
    result = app.test_cli_runner().invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    assert served[0]["cert"] is None


@pytest.mark.parametrize(
    "which, fragments",
    [
        ("cert", ["The TLS certificate", "missing.pem (--cert) does not exist"]),
        ("key", ["The TLS private key", "missing.pem (--key) does not exist"]),
    ],
)
def test_run_names_a_missing_file(app, db, served, pem, tmp_path, which, fragments):
    cert, key = pem
    missing = str(tmp_path / "missing.pem")
    arguments = ["--cert", missing if which == "cert" else cert]
    arguments += ["--key", missing if which == "key" else key]
    result = app.test_cli_runner().invoke(cli, ["run", *arguments])
    assert_one_line_error(result, *fragments)
    assert served == []


def test_run_refuses_a_key_that_is_not_the_certificates(app, db, served, pem, tmp_path):
    (tmp_path / "other").mkdir()
    _, other_key = self_signed_certificate(tmp_path / "other")
    result = app.test_cli_runner().invoke(cli, ["run", "--cert", pem[0], "--key", str(other_key)])
    assert_one_line_error(result, "cannot be used together", "--key")
    assert served == []


def test_run_refuses_a_key_without_certificate(app, db, served, pem):
    result = app.test_cli_runner().invoke(cli, ["run", "--key", pem[1]])
    assert result.exit_code == 2
    assert "needs a certificate" in result.output
    assert served == []
