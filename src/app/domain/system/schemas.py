from __future__ import annotations

from typing import Literal

import msgspec

from app.lib.schema import CamelizedBaseStruct

PartStatus = Literal["ok", "unavailable"]


class Health(CamelizedBaseStruct):
    status: Literal["ok", "degraded"]
    database: PartStatus
    queue: PartStatus
    migrations: Literal["pending"] | msgspec.UnsetType = msgspec.UNSET
    """Only while the database is behind this release's migrations (then `status` is `degraded`); absent
    otherwise, so a ready service answers exactly the three documented fields."""


class Liveness(CamelizedBaseStruct):
    status: Literal["ok"]
