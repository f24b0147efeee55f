"""The conditional GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato & Koyama 2018): G(z, y)
and D(x, y) told the digit y, built on the GAN's DCGAN nets and played by the GAN's own game (explorer/core/gan).

nets.py: the config, the two conditional nets and how a run starts from the unconditional GAN; model.py: a
trained G's digits and its style × digit grid; training.py: the game with these players; family.py: the
descriptor the command line, the panels and the evaluation read.
"""
