"""Marshmallow schemas describing the API's messages, for validation and the OpenAPI
document (``messages`` for the USEF-style services of every version, ``public`` for the
version listing and auth tokens)."""
