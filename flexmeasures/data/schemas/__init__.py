"""Marshmallow schemas: how assets and users look in the API, and how input is validated.

The schemas check types and shapes (unknown fields are refused); the rules that need the
database or concern several fields live in ``flexmeasures.data.services``, whose errors
name the field at fault (see ``fields.field_name_for``). The OpenAPI document is generated
from these schemas.
"""

from flexmeasures.data.schemas.assets import AssetQuerySchema, AssetSchema
from flexmeasures.data.schemas.users import UserQuerySchema, UserSchema

__all__ = ["AssetQuerySchema", "AssetSchema", "UserQuerySchema", "UserSchema"]
