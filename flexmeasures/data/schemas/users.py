"""Users in the v2.0 API: field names and types as the seed's examples show them."""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import Length

from flexmeasures.data.schemas.fields import RoleIds


class UserSchema(Schema):
    """A user: ``flexmeasures_roles`` are role ids, ``timezone`` an IANA name.

    ``id`` is only shown; unknown fields (e.g. password) are refused. Load with
    ``partial=True`` to change some fields.
    """

    id = fields.Integer(dump_only=True)
    email = fields.String(validate=Length(min=1, max=255))
    username = fields.String(validate=Length(min=1, max=255))
    active = fields.Boolean(
        truthy={True}, falsy={False}, metadata={"description": "false: deactivated."}
    )
    timezone = fields.String(metadata={"description": "IANA time zone, e.g. Europe/Amsterdam."})
    flexmeasures_roles = RoleIds(
        attribute="role_ids", metadata={"description": "Ids of the user's roles."}
    )


class UserQuerySchema(Schema):
    """Query parameters of the user listing: ``include_inactive`` also lists inactive users."""

    include_inactive = fields.Boolean(load_default=False)
