"""When a tanh unit counts as saturated: |h| near 1, where tanh is flat and passes almost no
gradient back (makemore part 3). Two readings of it, as the lecture makes them.
"""

SATURATED = 0.97  # a unit of one forward pass drawn as saturated (core/forward.py)
SATURATION = 0.99  # the lecture's threshold for the saturation image (core/hidden_stats.py)
