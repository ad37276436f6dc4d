"""The API against its own OpenAPI document (schemathesis): the runs are in ``fuzzing``, one
test file per caller, and for the admin one per part of the document."""
