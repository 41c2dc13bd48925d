from __future__ import annotations

from typing import Literal

from app.lib.schema import CamelizedBaseStruct

PartStatus = Literal["ok", "unavailable"]


class Health(CamelizedBaseStruct):
    status: Literal["ok", "degraded"]
    database: PartStatus
    queue: PartStatus
