"""``make show-data-model`` prints every table of the models with its columns."""

from __future__ import annotations

import importlib.util
import re
import runpy
from pathlib import Path

from flexmeasures.data import db
from flexmeasures.data.models import Asset

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def test_every_module_the_makefile_runs_exists():
    modules = re.findall(r"-m ([\w.]+)", MAKEFILE.read_text())
    assert "flexmeasures.data.show_data_model" in modules
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    assert not missing


def printed_tables(capsys) -> dict[str, list[str]]:
    """Run the module as ``make show-data-model`` does; each table's name and column lines."""
    runpy.run_module("flexmeasures.data.show_data_model", run_name="__main__")
    blocks = capsys.readouterr().out.split("\n\n")
    return {block.splitlines()[0]: block.splitlines()[1:] for block in blocks}


def test_show_data_model_prints_every_table_and_column(capsys):
    blocks = printed_tables(capsys)
    assert set(blocks) == set(db.metadata.tables)
    for name, table in db.metadata.tables.items():
        columns = [line.split()[0] for line in blocks[name]]
        assert columns == [column.name for column in table.columns], name


def test_columns_show_type_keys_and_nullability(capsys):
    lines = {line.split()[0]: line for line in printed_tables(capsys)[Asset.__table__.name]}
    assert re.fullmatch(r"\s+id\s+INTEGER\s+primary key, -> sensor\.id", lines["id"])
    assert re.fullmatch(r"\s+name\s+VARCHAR\(80\)\s+not null", lines["name"])
    assert re.fullmatch(r"\s+soc_datetime\s+TIMESTAMP WITH TIME ZONE", lines["soc_datetime"])
