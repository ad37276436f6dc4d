"""FlexMeasures: the intelligent & developer-friendly EMS for energy flexibility."""

__version__ = "0.5.0.dev0"
