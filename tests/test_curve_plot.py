"""A curve plot's legend sits in its title and names only the curves that are drawn."""

from explorer.ui.widgets.curve_plot import CurvePlot


def test_the_legend_names_only_curves_with_points(qtbot):
    plot = CurvePlot("−ELBO", "epoch", "nats")
    qtbot.addWidget(plot)
    plot.add_curve("train", "#1f77b4")
    plot.add_curve("test", "#d62728", dashed=True, symbol="o")
    plot.redraw()
    assert plot.legend() == [] and "test" not in plot.plotItem.titleLabel.text
    plot.set_curve("test", [1, 2], [140.0, 135.0])  # a shipped record: test points only
    plot.redraw()
    assert plot.legend() == ["test"] and "train" not in plot.plotItem.titleLabel.text
    plot.add_point("train", 1, 150.0)
    plot.redraw()
    assert plot.legend() == ["train", "test"] and "train" in plot.plotItem.titleLabel.text
    assert plot.plotItem.legend is None  # no legend box over the curves


def test_a_single_curve_needs_no_legend(qtbot):
    plot = CurvePlot("training loss", "step", "MSE")
    qtbot.addWidget(plot)
    plot.add_curve("loss", "#1f77b4")
    plot.add_point("loss", 1, 0.5)
    plot.redraw()
    assert plot.legend() == [] and "loss" not in plot.plotItem.titleLabel.text.replace("training loss", "")
