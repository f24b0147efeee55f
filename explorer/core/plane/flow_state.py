"""The flows' part of the 2-D Lab's state, Qt-free: the three flows, what the canvas shows of them
(a layer of the RealNVP, the field at a time t, a likelihood map), the ledger of a clicked point and
the numbers each model earned. Sections write it with ``set`` and bind to ``changed``, as ``LabState``."""

from __future__ import annotations

from dataclasses import dataclass, field

from explorer.core.plane.draw import PlaneModel
from explorer.core.plane.family import FamilyRow
from explorer.core.plane.flow_matching import FlowMatchingConfig
from explorer.core.plane.realnvp import RealNVPConfig
from explorer.core.plane.reflow import ReflowConfig
from explorer.core.runtime.evented import Evented

__all__ = ["VIEWS", "FamilyRow", "FlowState"]

VIEWS = ("layers", "velocity", "paths", "nll realnvp", "nll fm")


@dataclass(eq=False)
class FlowState(Evented):
    """The flows in the lab; change it with ``set`` so every view follows."""

    # What the Train buttons train (the form edits the flow-matching config's pairing).
    realnvp_cfg: RealNVPConfig = field(default_factory=RealNVPConfig)
    fm_cfg: FlowMatchingConfig = field(default_factory=FlowMatchingConfig)
    reflow_cfg: ReflowConfig = field(default_factory=ReflowConfig)
    realnvp: PlaneModel | None = None
    fm: PlaneModel | None = None
    reflow: PlaneModel | None = None
    view: str = "layers"
    layer: int = 0  # stage of the RealNVP's pushes: 0 the base Gaussian, K the model
    t: float = 0.5
    ledger: list[str] = field(default_factory=list)
    straightness: dict[str, float] = field(default_factory=dict)  # "first" / "reflowed" -> S
    few_steps: dict[str, list[float]] = field(default_factory=dict)  # "first" / "reflowed" -> MMD²/floor at 1, 2 NFE
    family: dict[str, FamilyRow] = field(default_factory=dict)
    training: str = ""  # which flow is training ("" when none)

    @property
    def field_model(self) -> PlaneModel | None:
        """The flow-matching field on show: the reflowed one once there is one."""
        return self.reflow or self.fm
