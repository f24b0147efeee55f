"""The Likelihood tab's maths, Qt-free: the tools every deep generative model rests on.

ball            maximum likelihood, a Beta prior, the posterior and MAP of the ball-drawing example
gmm             EM for a full-covariance Gaussian mixture: E and M steps, ELBO and its gap, BIC
gmm_checkpoint  a fitted mixture as a 2-D Lab model: train, save/load, sample, exact NLL
variational     a Gaussian q fitted by the ELBO to a 2-D posterior known in closed form
exponential_vi  the notes' 1-D toy: an exponential prior, Gaussian observations, q on z ≥ 0 fitted by the ELBO
kde             Parzen window estimates of the log-likelihood from samples
mnist_kde       Parzen on binarised MNIST beside the PixelCNN's exact NLL (a background job)
markov          π Pⁿ, the stationary distribution, and the DDPM forward chain's marginals
evented         the evented base of the section states and the ``Running`` enum
states          one evented state per section: request, view and running job

Import from the modules themselves: this file stays empty so that the maths does not load torch.
"""
