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


def test_a_legend_under_the_title_gets_a_row_as_tall_as_its_lines(qtbot):
    plot = CurvePlot("Training loss", "step", "loss")
    plot.legend_per_line = 2
    qtbot.addWidget(plot)
    names = ["score net", "DDPM", "RealNVP", "FM", "reflow"]
    for name in names:
        plot.add_curve(name, "#1f77b4")
        plot.add_point(name, 1.0, 1.0)
    plot.redraw()
    label = plot.plotItem.titleLabel
    assert plot.legend() == names and label.text.count("<br>") == 3  # the title, then three lines of entries
    assert plot.plotItem.layout.rowMinimumHeight(0) >= label.item.boundingRect().height() > 30


def test_the_nfe_plot_names_its_curves_above_them_not_over_them(qtbot):
    from explorer.core.plane.sweep import SweepPoint
    from explorer.ui.panels.plane.nfe_plot import NFEPlot

    plot = NFEPlot()
    qtbot.addWidget(plot)
    plot.show_sweep([SweepPoint(name, nfe, 0.1 / nfe, 0.002, 1.0) for name in ("ddpm", "heun") for nfe in (1, 10)])
    assert plot.legend_names == ["ddpm", "heun", "data floor"] and plot.plotItem.legend is None
    assert all(name in plot.plotItem.titleLabel.text for name in plot.legend_names)
