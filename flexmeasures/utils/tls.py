"""TLS for the servers that run FlexMeasures: a server-side SSL context from a PEM certificate
(chain) and its private key, with errors that say which file is the problem and why."""

from __future__ import annotations

import os
import ssl
from pathlib import Path


class TLSConfigurationError(ValueError):
    """A certificate or key cannot be used; the message names the file and the reason."""


def _readable_file(path: str | os.PathLike, what: str, option: str) -> Path:
    """The path, if it is a readable file; TLSConfigurationError otherwise."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise TLSConfigurationError(f"The TLS {what} {file} ({option}) does not exist.")
    if not os.access(file, os.R_OK):
        raise TLSConfigurationError(f"The TLS {what} {file} ({option}) cannot be read.")
    return file


def server_ssl_context(
    cert_file: str | os.PathLike,
    key_file: str | os.PathLike | None = None,
    cert_option: str = "--cert",
    key_option: str = "--key",
) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or newer) for the PEM certificate chain and its private
    key (``key_file`` may be None when the certificate file holds the key too).
    ``cert_option``/``key_option`` name where the files were given, for the error messages."""
    cert = _readable_file(cert_file, "certificate", cert_option)
    key = _readable_file(key_file, "private key", key_option) if key_file else None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise TLSConfigurationError(
            f"The TLS certificate {cert} and private key {key or cert} cannot be used together "
            f"({exc.reason or exc}): give a PEM certificate ({cert_option}) and the PEM private "
            f"key it was made for ({key_option}), unencrypted."
        ) from exc
    return context
