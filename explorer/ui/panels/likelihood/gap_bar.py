"""The bar both variational-inference views draw: log p(x) beside ELBO + KL(q ‖ p(z | x)), the gap on top."""

from __future__ import annotations

import pyqtgraph as pg

from explorer.ui.panels.likelihood.look import (
    ELBO_COLOUR,
    GAP_COLOUR,
    LOGP_COLOUR,
    BarTips,
    StyledPlot,
    keep_y_range,
    transparent,
)


class GapBar:
    """Two bars from a common ``base``: log p(x), and the ELBO with KL stacked on it, so their tops meet
    exactly when log p(x) = ELBO + KL holds; hovering a part says what it is (``show``'s three tips)."""

    def __init__(self, title: str, unit: str = "nats", log_p: str = "log p(x)") -> None:
        self.plot = StyledPlot(title, unit, "")
        self._bars = pg.BarGraphItem(
            x=[0, 1],
            y0=[0, 0],
            height=[0, 0],
            width=0.6,
            brushes=[transparent(LOGP_COLOUR, 170), transparent(ELBO_COLOUR, 170)],
        )
        self._gap = pg.BarGraphItem(x=[1], y0=[0], height=[0], width=0.6, brush=transparent(GAP_COLOUR, 200))
        self.plot.addItem(self._bars)
        self.plot.addItem(self._gap)
        self.plot.getPlotItem().getAxis("bottom").setTicks([[(0, log_p), (1, "ELBO + KL")]])
        self.plot.setXRange(-0.6, 1.6, padding=0)
        self.tips = BarTips(self.plot)  # hover a bar's part: the term and its live value

    def show(
        self, base: float, log_px: float, elbo: float, kl: float, tips: tuple[str, str, str], shrink: bool = True
    ) -> None:
        """Draw the bars from ``base``; ``tips``: what log p(x), the ELBO and the KL are, with their values."""
        gap = max(kl, 0.0)
        self._bars.setOpts(x=[0, 1], y0=[base, base], height=[log_px - base, elbo - base])
        self._gap.setOpts(x=[1], y0=[elbo], height=[gap])
        keep_y_range(self.plot, base, log_px, shrink=shrink)
        self.tips.regions = [
            (-0.3, 0.3, base, log_px, tips[0]),
            (0.7, 1.3, elbo, elbo + gap, tips[2]),
            (0.7, 1.3, base, elbo, tips[1]),
        ]

    def clear(self) -> None:
        """No bars and nothing to hover (no fit yet)."""
        self._bars.setOpts(x=[0, 1], y0=[0, 0], height=[0, 0])
        self._gap.setOpts(x=[1], y0=[0], height=[0])
        self.tips.regions = []
