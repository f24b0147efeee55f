"""The Qt-free core: data, models, maths and training loops.

Nothing below this package imports Qt; the GUI and the command line run the
same generators from here.
"""
