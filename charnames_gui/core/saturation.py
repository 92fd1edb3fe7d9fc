"""When a tanh unit counts as saturated: |h| near 1, where tanh is flat and passes almost no
gradient back (makemore part 3). One threshold for every view and the command line: the
lecture's saturation image, plt.imshow(h.abs() > 0.99, cmap='gray').
"""

SATURATION = 0.99  # |h| above this: (1 - h**2) < 0.02, almost no gradient passes
