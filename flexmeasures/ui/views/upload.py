"""The Upload data page: a CSV file of meter data for an asset, checked and stored exactly
as postMeterData checks and stores meter data (all rows or none)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash
from flask_security import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired

from flexmeasures.api.common.implementations.power import check_power_values
from flexmeasures.api.common.implementations.timeseries import (
    BeliefTiming,
    belief_frame,
    current_user_source,
    save_and_respond,
    values_at_sensor_resolution,
)
from flexmeasures.api.common.messages import MessageError, SeriesGroup
from flexmeasures.data import db
from flexmeasures.data.models import Asset
from flexmeasures.security import may_address_asset
from flexmeasures.ui.meter_data_csv import (
    EXAMPLE_HEADER,
    CsvProblem,
    MeterDataCsv,
    read_meter_data_csv,
)
from flexmeasures.ui.utils.view_utils import page_error, render_flexmeasures_template

upload_views = Blueprint("ui_upload", __name__)

# The USEF roles postMeterData admits: they decide which assets a user may send data for.
METER_DATA_ROLES = ("MDC",)
# Uploaded values are measurements: recorded right after each event (horizon zero).
MEASURED = BeliefTiming(horizon=None, prior=None, infer_at_arrival=False)


class UploadForm(FlaskForm):
    """The asset and the CSV file (CSRF-protected)."""

    asset_id = SelectField("Asset", [InputRequired()], coerce=int)
    csv_file = FileField("CSV file", [FileRequired("Please choose a CSV file.")])
    submit = SubmitField("Upload")


def addressable_assets() -> list[Asset]:
    """The assets the current user may send meter data for, ordered by name."""
    assets = db.session.scalars(select(Asset).order_by(Asset.name))
    return [a for a in assets if may_address_asset(current_user, a, METER_DATA_ROLES)]


@upload_views.route("/upload", methods=["GET", "POST"])
@login_required
def upload_view() -> Any:
    """Show the form; on POST, store the file's meter data or show why nothing was stored."""
    form = UploadForm()
    assets = {asset.id: asset for asset in addressable_assets()}
    form.asset_id.choices = [(i, a.display_name or a.name) for i, a in assets.items()]
    error = None
    if form.validate_on_submit():
        error = store_upload(assets[form.asset_id.data], form.csv_file.data.read())
        if error is None:
            return render_page(form, None, stored=True)
    return render_page(form, error)


def render_page(form: UploadForm, error: str | None, stored: bool = False) -> str:
    """The page with the form, the format description and what happened to an upload."""
    return render_flexmeasures_template(
        "upload.html", form=form, error=error, stored=stored, example_header=EXAMPLE_HEADER
    )


def store_upload(asset: Asset, content: bytes) -> str | None:
    """Check and store the CSV's values for the asset; None if stored, else why not."""
    try:
        data = read_meter_data_csv(content, asset.event_resolution)
        group = series_group(asset, data)
        check_row_values(asset, group, data)
        values = values_at_sensor_resolution(group, asset)
    except CsvProblem as problem:
        return str(problem)
    except MessageError as problem:
        return f"{problem.status}: {problem.message}"
    beliefs = belief_frame(asset, values, MEASURED, current_user_source())
    body, status = save_and_respond(beliefs, [asset])
    if status != 200:
        return f"{body['status']}: {body['message']}"
    flash(
        f"Stored {len(data.values)} values for {asset.name}, from {data.starts[0].isoformat()} "
        f"to {(data.starts[-1] + data.resolution).isoformat()}.",
        "success",
    )
    return None


def series_group(asset: Asset, data: MeterDataCsv) -> SeriesGroup:
    """The file's values as a message's group of values for the asset."""
    duration = data.resolution * len(data.values)
    return SeriesGroup((str(asset.id),), data.values, data.starts[0], duration, data.unit)


def check_row_values(asset: Asset, group: SeriesGroup, data: MeterDataCsv) -> None:
    """Check the values as postMeterData does; a problem is reported at its first row."""
    try:
        check_power_values(asset, group)
    except MessageError as problem:
        if problem.status == "INVALID_UNIT":
            raise CsvProblem(f"Row 1 (the header), column 'power': {problem.message}") from None
        for row, value in zip(data.rows, data.values, strict=True):
            single = SeriesGroup(group.addresses, (value,), group.start, data.resolution, data.unit)
            try:
                check_power_values(asset, single)
            except MessageError as at_row:
                raise CsvProblem(f"Row {row}, column 'power': {at_row.message}") from None
        raise


@upload_views.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """A page saying the file is over the size limit (MAX_CONTENT_LENGTH), not a bare 413."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return page_error(
        413,
        f"The file is too large: uploads are limited to {limit / 1024 / 1024:.0f} MB "
        f"(MAX_CONTENT_LENGTH). Nothing was stored; split the data over several files.",
    )
