"""Tests of the API: public endpoints, authentication, roles, ownership and CORS."""
