"""The 2-D Lab: data in the plane (data.py, mixture.py), the score network and Langevin dynamics,
a 2-D DDPM with its samplers, and the quality number every model in the lab is judged by.

Import from the modules themselves (``explorer.core.plane.data`` …): this package file stays empty
so that reading the data does not load torch.
"""
