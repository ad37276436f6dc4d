"""Weather sensors at a location, and their types (temperature, wind speed, radiation)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from flexmeasures.data import db
from flexmeasures.data.models.sensor import Sensor


class WeatherSensorType(db.Model):
    """A kind of weather sensor and the unit its values come in."""

    __tablename__ = "weather_sensor_type"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80), default="", unique=True)

    def __repr__(self) -> str:
        return f"<WeatherSensorType {self.name}>"


class WeatherSensor(Sensor):
    """A weather sensor at a latitude and longitude (decimal degrees)."""

    __tablename__ = "weather_sensor"
    __table_args__ = (
        UniqueConstraint(
            "weather_sensor_type_name",
            "latitude",
            "longitude",
            name="weather_sensor_type_name_latitude_longitude_key",
        ),
        CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude"),
        CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("sensor.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = column_property(
        mapped_column("name", String(80), unique=True, nullable=False), Sensor.__table__.c.name
    )
    display_name: Mapped[str] = mapped_column(String(80), default="")
    weather_sensor_type_name: Mapped[str] = mapped_column(ForeignKey("weather_sensor_type.name"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    sensor_type: Mapped[WeatherSensorType] = relationship(lazy="joined")

    __mapper_args__ = {
        "polymorphic_identity": "weather_sensor",
        "inherit_condition": id == Sensor.id,
    }
