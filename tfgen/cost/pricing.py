"""The dated AWS price table `tfgen cost` reads (`tfgen/data/aws_prices.yaml`), and lookups that fail with a
message naming what is missing, never a silent zero."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import TfgenError

PRICE_FILE = Path(__file__).parent / "data" / "aws_prices.yaml"


class PriceError(TfgenError):
    """The table has no price for something the spec uses (a region, an instance type)."""

    def __init__(self, message: str):
        super().__init__(f"{message} (price table {PRICE_FILE.name}; add the price there)")


@dataclass(frozen=True)
class PriceTable:
    """Prices of one region plus the global ones, with the table's date and source."""

    region: str
    regional: dict[str, Any]
    global_: dict[str, float]
    hours_per_month: float
    as_of: str
    compiled: str
    source: str

    def rate(self, key: str) -> float:
        if key in self.regional:
            return float(self.regional[key])
        return float(self.global_[key])

    def ec2_hour(self, instance_type: str) -> float:
        return self._lookup("ec2_hour", instance_type, "EC2 instance type")

    def rds_hour(self, instance_class: str) -> float:
        return self._lookup("rds_mysql_hour", instance_class, "RDS MySQL instance class")

    def _lookup(self, table: str, name: str, what: str) -> float:
        prices = self.regional[table]
        if name not in prices:
            known = ", ".join(sorted(prices))
            raise PriceError(f"no price for {what} {name!r} in {self.region} (known: {known})")
        return float(prices[name])


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    # The table is tfgen's own data, read on every render for the README's cost section: libyaml parses it
    # several times faster than the pure-Python loader and builds the same values (same safe constructor).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(PRICE_FILE.read_text(encoding="utf-8"), Loader=loader)


def price_table(region: str) -> PriceTable:
    """The prices of `region`; a PriceError lists the regions the table covers."""
    doc = _load()
    if region not in doc["regions"]:
        raise PriceError(f"no prices for region {region!r} (the table covers {', '.join(sorted(doc['regions']))})")
    return PriceTable(region, doc["regions"][region], doc["global"], float(doc["hours_per_month"]),
                      str(doc["prices_as_of"]), str(doc["compiled"]), " ".join(str(doc["source"]).split()))


def covered_regions() -> list[str]:
    return sorted(_load()["regions"])
