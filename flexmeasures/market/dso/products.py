"""National Grid DSO product codes: Market Gateway (MG) ↔ Flexible Power Portal (FPP).

The table is the seed's section 4.1 ("API Product Descriptors"), active and legacy
products. Several Market Gateway codes share one Flexible Power Portal code (e.g. the four
LV Scheduled Utilisation windows are all ``su`` in the FPP), so the FPP → MG direction
gives a tuple of codes. Lookups are exact (codes are case-sensitive: MG codes are upper
case, FPP codes lower case); an unknown code raises ``UnknownProductCodeError``, which
names the code and the known ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """A National Grid DSO flexibility product and its codes on both platforms."""

    name: str
    market_gateway_code: str
    flexible_power_code: str
    legacy: bool = False


PRODUCTS: tuple[Product, ...] = (
    Product(
        "Scheduled Availability, Operational Utilisation – Day Ahead Notice", "SAOU_DA", "saou_da"
    ),
    Product(
        "Scheduled Availability, Operational Utilisation – Day Ahead Notice – DTU/GTD",
        "SAOU_DA_DTUGTD",
        "saou_da",
    ),
    Product("Scheduled Utilisation - HV", "SU_HV", "su"),
    Product("Scheduled Utilisation – LV Night", "SU_LV_AM1", "su"),
    Product("Scheduled Utilisation – LV Morning", "SU_LV_AM2", "su"),
    Product("Scheduled Utilisation – LV Afternoon", "SU_LV_PM1", "su"),
    Product("Scheduled Utilisation – LV Evening", "SU_LV_PM2", "su"),
    Product("Operational Utilisation – 15min Instruction", "OU_15", "ou_15"),
    Product("Dynamic", "DYNAM", "dynamic", legacy=True),
    Product("Secure", "SECUR", "secure", legacy=True),
    Product("Restore", "RESTR", "restore", legacy=True),
    Product("Sustain AM", "SUSAM", "sustain", legacy=True),
    Product("Sustain PM", "SUSPM", "sustain", legacy=True),
    Product("Scheduled Utilisation – Settlement Periods", "SU_SEP", "su_sep", legacy=True),
    Product(
        "Scheduled Utilisation – Settlement Periods - DTU/GTD",
        "SU_SEP_DTU/GTD",
        "su_sep",
        legacy=True,
    ),
    Product("Scheduled Utilisation – Specific Periods - AM", "SU_SPP_AM", "su_spp", legacy=True),
    Product("Scheduled Utilisation – Specific Periods - PM", "SU_SPP_PM", "su_spp", legacy=True),
)
"""Every product of the seed's table, active ones first, then the legacy ones."""

_BY_MARKET_GATEWAY_CODE = {product.market_gateway_code: product for product in PRODUCTS}
_BY_FLEXIBLE_POWER_CODE: dict[str, tuple[Product, ...]] = {}
for _product in PRODUCTS:
    _code = _product.flexible_power_code
    _BY_FLEXIBLE_POWER_CODE[_code] = _BY_FLEXIBLE_POWER_CODE.get(_code, ()) + (_product,)


class UnknownProductCodeError(ValueError):
    """A product code that is not in the seed's table; the message names the known codes.

    ``code`` is the unknown code, ``platform`` "Market Gateway" or "Flexible Power Portal",
    ``known`` the codes of that platform.
    """

    def __init__(self, code: str, platform: str, known: tuple[str, ...]):
        self.code, self.platform, self.known = code, platform, known
        super().__init__(
            f"Unknown {platform} product code {code!r}; known codes: {', '.join(known)}."
        )


class AmbiguousProductCodeError(ValueError):
    """A Flexible Power Portal code that several products share, where one product is
    needed; ``choices`` are their Market Gateway codes."""

    def __init__(self, code: str, choices: tuple[str, ...]):
        self.code, self.choices = code, choices
        super().__init__(
            f"The Flexible Power Portal product code {code!r} is shared by several products; "
            f"give one of their Market Gateway codes: {', '.join(choices)}."
        )


MARKET_GATEWAY = "Market Gateway"
FLEXIBLE_POWER_PORTAL = "Flexible Power Portal"


def market_gateway_codes() -> tuple[str, ...]:
    """Every Market Gateway product code, in the seed's order."""
    return tuple(_BY_MARKET_GATEWAY_CODE)


def flexible_power_codes() -> tuple[str, ...]:
    """Every Flexible Power Portal product code (each once), in the seed's order."""
    return tuple(_BY_FLEXIBLE_POWER_CODE)


def product_for_market_gateway_code(code: str) -> Product:
    """The product with this Market Gateway code (UnknownProductCodeError if none)."""
    product = _BY_MARKET_GATEWAY_CODE.get(code)
    if product is None:
        raise UnknownProductCodeError(code, MARKET_GATEWAY, market_gateway_codes())
    return product


def flexible_power_code(market_gateway_code: str) -> str:
    """The Flexible Power Portal code of a Market Gateway code, e.g. "su" for "SU_LV_AM1"."""
    return product_for_market_gateway_code(market_gateway_code).flexible_power_code


def products_for_flexible_power_code(code: str) -> tuple[Product, ...]:
    """The products sharing this Flexible Power Portal code (UnknownProductCodeError if none)."""
    products = _BY_FLEXIBLE_POWER_CODE.get(code)
    if products is None:
        raise UnknownProductCodeError(code, FLEXIBLE_POWER_PORTAL, flexible_power_codes())
    return products


def market_gateway_codes_for(flexible_power_code: str) -> tuple[str, ...]:
    """The Market Gateway codes of a Flexible Power Portal code, e.g. ("SUSAM", "SUSPM")
    for "sustain"."""
    return tuple(
        p.market_gateway_code for p in products_for_flexible_power_code(flexible_power_code)
    )


def product_for_code(code: str) -> Product:
    """The product of a Market Gateway code, or of a Flexible Power Portal code that only
    one product has (as dispatch instructions may carry either).

    Raises UnknownProductCodeError for a code of neither platform, and
    AmbiguousProductCodeError for an FPP code shared by several products (the message names
    the Market Gateway codes to choose from).
    """
    if code in _BY_MARKET_GATEWAY_CODE:
        return _BY_MARKET_GATEWAY_CODE[code]
    products = _BY_FLEXIBLE_POWER_CODE.get(code)
    if products is None:
        known = market_gateway_codes() + flexible_power_codes()
        raise UnknownProductCodeError(code, f"{MARKET_GATEWAY} or {FLEXIBLE_POWER_PORTAL}", known)
    if len(products) > 1:
        raise AmbiguousProductCodeError(code, tuple(p.market_gateway_code for p in products))
    return products[0]
