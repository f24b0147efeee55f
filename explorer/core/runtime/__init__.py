"""What every model family runs on: jobs, devices, checkpoints and safe writes, data, errors, limits, paths."""
