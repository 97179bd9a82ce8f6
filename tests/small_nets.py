"""Small networks several test files share, as derivation-file TOML text.

NETWORK + DATA: 2-2-1, identity, ½Σ(y−a)², per-neuron biases. By hand: u1 = W1 x + b1 = (0.5 − 0.5 + 0.1, 0.75 + 0.25 − 0.2) = (0.1, 0.8);
o = W2 u1 + b2 = 0.06 − 0.32 + 0.05 = −0.21; L = ½ (0.3 − (−0.21))² = ½ · 0.51² = 0.13005.
"""

NETWORK = """
[network]
layers = [2, 2, 1]
activation = "identity"
loss = "half_sse"
bias = "per-neuron"
learning_rate = 0.1
"""

DATA = """
[data]
x = [1, 2]
y = [0.3]

[parameters]
W1 = [[0.5, -0.25], [0.75, 0.125]]
b1 = [0.1, -0.2]
W2 = [[0.6, -0.4]]
b2 = [0.05]
"""


# Seed 002 (Mazur's 2-2-2 sigmoid net, shared biases), no blank lines: claims appended to
# SEED002_NETWORK + SEED002_VALUES start on line 15.
SEED002_NETWORK = """[network]
layers = [2, 2, 2]
activation = "sigmoid"
loss = "half_sse"
bias = "shared"
learning_rate = 0.5
"""

SEED002_VALUES = """[data]
x = [0.05, 0.10]
y = [0.01, 0.99]
[parameters]
W1 = [[0.15, 0.20], [0.25, 0.30]]
b1 = 0.35
W2 = [[0.40, 0.45], [0.50, 0.55]]
b2 = 0.60
"""
