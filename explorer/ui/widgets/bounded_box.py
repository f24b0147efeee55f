"""Spin boxes whose range comes from what the core declares, so that a limit is written once
(in the config, ``explorer.core.runtime.limits``), not again in a form."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from explorer.core.runtime.limits import declared_range

SPIN_BOX_MAX = 2**31 - 1  # the most a QSpinBox holds (a C int)


def fit_to_field(
    box: QSpinBox | QDoubleSpinBox, cls: type, name: str, offered: tuple[float, float] | None = None
) -> None:
    """Give ``box`` the range config class ``cls`` declares for field ``name``, narrowed to ``offered``
    where the form deliberately offers less (never more: the config would refuse the rest)."""
    low, high = declared_range(cls, name)
    if offered is not None:
        low, high = max(low, offered[0]), min(high, offered[1])
    if isinstance(box, QSpinBox):
        box.setRange(int(low), int(min(high, SPIN_BOX_MAX)))
    else:
        box.setRange(low, high)
