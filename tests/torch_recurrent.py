"""A recurrent layer unrolled in PyTorch float64, for the tests that compare against it (torch must be installed).

:func:`torch_unrolled` builds the layer of a numeric/recurrent.py settings dict with one leaf copy of every
shared array per step, runs the loss (half_sse, bce or softmax_ce, summed over the batch) backward, and
returns (copies, nodes): ``copies[(array, t)].grad`` is step t's contribution to that array's gradient; ``nodes["h1_t2"].grad`` the node adjoints.
"""
from __future__ import annotations

import numpy as np

from numeric.recurrent import GATES

__all__ = ["torch_unrolled"]


def torch_unrolled(spec, params, X, Y, loss: str = "half_sse"):
    """The same layer unrolled in torch with one leaf copy of each array per step; returns (copies, nodes)."""
    import torch
    T, H, K = spec["steps"], spec["hidden"], spec["outputs"]
    m, n = X.shape[0], X.shape[1] // T
    copies = {(k, t): torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in params.items() for t in range(1, T + 1)}
    act = {"tanh": torch.tanh, "identity": lambda u: u, "sigmoid": torch.sigmoid}[spec.get("activation", "tanh")]
    h0 = spec.get("h0") if spec.get("h0") is not None else np.zeros(H)
    c0 = spec.get("c0") if spec.get("c0") is not None else np.zeros(H)
    h = torch.tensor(np.broadcast_to(np.asarray(h0, dtype=float), (m, H)).copy(), dtype=torch.float64,
                     requires_grad=True)
    c = torch.tensor(np.broadcast_to(np.asarray(c0, dtype=float), (m, H)).copy(), dtype=torch.float64,
                     requires_grad=True)
    nodes = {"h1_t0": h, "c1_t0": c}
    outs = []
    for t in range(1, T + 1):
        x = torch.tensor(X[:, (t - 1) * n:t * n], dtype=torch.float64)
        P = {k: copies[(k, t)] for k in params}
        if spec["kind"] == "lstm":
            z = {g: x @ P[f"Wx{g}1"].T + h @ P[f"Wh{g}1"].T + P.get(f"b{g}1", 0) for g in GATES}
            gate = {g: torch.tanh(z[g]) if g == "g" else torch.sigmoid(z[g]) for g in GATES}
            c = gate["f"] * c + gate["i"] * gate["g"]
            h = gate["o"] * torch.tanh(c)
            c.retain_grad()
            nodes[f"c1_t{t}"] = c
        else:
            h = act(x @ P["Wx1"].T + h @ P["Wh1"].T + P.get("b1", 0))
        h.retain_grad()
        nodes[f"h1_t{t}"] = h
        if K:
            z = h @ P["Wy1"].T + P.get("by1", 0)
            out_act = spec.get("output_activation", "identity")
            outs.append({"identity": z, "sigmoid": torch.sigmoid(z), "softmax": torch.softmax(z, dim=1)}[out_act])
        else:
            outs.append(h)
    out = torch.cat(outs, dim=1) if spec.get("emit", "all") == "all" else outs[-1]
    Yt = torch.tensor(Y)
    value = {"half_sse": lambda: 0.5 * ((out - Yt) ** 2).sum(),
             "bce": lambda: -(Yt * torch.log(out) + (1 - Yt) * torch.log(1 - out)).sum(),
             "softmax_ce": lambda: -(Yt * torch.log(out)).sum()}[loss]()
    value.backward()
    return copies, nodes
