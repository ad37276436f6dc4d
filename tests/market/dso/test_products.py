"""The National Grid DSO product codes table, both ways, and unknown codes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from flexmeasures.cli.groups import dso_group
from flexmeasures.market.dso.products import (
    PRODUCTS,
    AmbiguousProductCodeError,
    UnknownProductCodeError,
    flexible_power_code,
    flexible_power_codes,
    market_gateway_codes,
    market_gateway_codes_for,
    product_for_code,
    product_for_market_gateway_code,
)


@pytest.mark.parametrize(
    "market_gateway, flexible_power",
    [
        ("SAOU_DA", "saou_da"),
        ("SAOU_DA_DTUGTD", "saou_da"),
        ("SU_HV", "su"),
        ("SU_LV_AM1", "su"),
        ("SU_LV_PM2", "su"),
        ("OU_15", "ou_15"),
        ("DYNAM", "dynamic"),
        ("SECUR", "secure"),
        ("RESTR", "restore"),
        ("SUSAM", "sustain"),
        ("SUSPM", "sustain"),
        ("SU_SEP_DTU/GTD", "su_sep"),
        ("SU_SPP_PM", "su_spp"),
    ],
)
def test_market_gateway_to_flexible_power(market_gateway: str, flexible_power: str):
    assert flexible_power_code(market_gateway) == flexible_power
    assert market_gateway in market_gateway_codes_for(flexible_power)


def test_flexible_power_code_lists_every_market_gateway_code_sharing_it():
    assert market_gateway_codes_for("su") == (
        "SU_HV",
        "SU_LV_AM1",
        "SU_LV_AM2",
        "SU_LV_PM1",
        "SU_LV_PM2",
    )
    assert market_gateway_codes_for("sustain") == ("SUSAM", "SUSPM")
    assert market_gateway_codes_for("ou_15") == ("OU_15",)


def test_every_code_round_trips_and_legacy_products_are_marked():
    assert len(market_gateway_codes()) == len(PRODUCTS) == 17
    for code in market_gateway_codes():
        assert code in market_gateway_codes_for(flexible_power_code(code))
    assert set(flexible_power_codes()) == {p.flexible_power_code for p in PRODUCTS}
    assert product_for_market_gateway_code("DYNAM").legacy
    assert not product_for_market_gateway_code("OU_15").legacy


@pytest.mark.parametrize("code", ["ou_15", "OU15", "", "SU_LV"])
def test_unknown_market_gateway_code_names_the_code_and_the_known_ones(code: str):
    with pytest.raises(UnknownProductCodeError) as raised:
        flexible_power_code(code)
    message = str(raised.value)
    assert repr(code) in message and "Market Gateway" in message
    assert "OU_15" in message and "SU_SPP_PM" in message
    assert raised.value.code == code


def test_unknown_flexible_power_code_is_refused():
    with pytest.raises(UnknownProductCodeError, match="Flexible Power Portal.*'SU'.*ou_15"):
        market_gateway_codes_for("SU")


def test_product_for_either_code():
    assert product_for_code("OU_15") == product_for_code("ou_15")
    assert product_for_code("dynamic").market_gateway_code == "DYNAM"
    with pytest.raises(AmbiguousProductCodeError, match="SU_HV, SU_LV_AM1"):
        product_for_code("su")
    with pytest.raises(UnknownProductCodeError, match="'FOO'"):
        product_for_code("FOO")


def test_the_products_command_lists_the_table_without_an_app():
    result = CliRunner().invoke(dso_group, ["products"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 + len(PRODUCTS)
    assert lines[1].split()[:2] == ["SAOU_DA", "saou_da"]
    assert "SUSPM" in lines[13] and lines[13].endswith("Sustain PM (legacy)")
