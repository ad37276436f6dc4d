"""`flexmeasures shell` offers the database, the models and the BeliefsDataFrame search."""

from flexmeasures.data import db
from flexmeasures.data.beliefs import search_beliefs
from flexmeasures.data.models import Asset, Sensor


def test_shell_offers_db_models_and_search_beliefs(app):
    with app.app_context():
        context = app.make_shell_context()
    assert context["db"] is db
    assert context["Sensor"] is Sensor and context["Asset"] is Asset
    assert context["search_beliefs"] is search_beliefs
    assert context["app"] is app
