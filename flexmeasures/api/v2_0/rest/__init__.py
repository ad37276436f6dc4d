"""The REST endpoints of API v2.0 (assets, users and the power chart), as Flask blueprints.

They are no USEF message services (they have path parameters and answer 201/204), so the
version mounts them as blueprints of its own (``ApiVersion.blueprints``); later versions
inherit them.
"""

from flexmeasures.api.v2_0.rest.assets import assets_api
from flexmeasures.api.v2_0.rest.charts import charts_api
from flexmeasures.api.v2_0.rest.users import users_api

REST_BLUEPRINTS = (assets_api, users_api, charts_api)

__all__ = ["REST_BLUEPRINTS"]
