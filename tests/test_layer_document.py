"""The LaTeX document and ``derive`` of a layer list: the per-feature batch-norm chain rule with its numbers.

The numbers the document prints for 011's batch-norm layer (∂L/∂v of every sample of feature 1,
∂L/∂γ, ∂L/∂β) are compared with the NumPy twin (numeric/layers.py, the compact backward, an
independent derivation) printed to the document's 9 digits.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from numeric import layers as twin
from symbolic.claims.derivation import load_derivation
from symbolic.documents.latex import render_document

ROOT = Path(__file__).resolve().parents[1]
BN = ROOT / "derivations" / "011-batchnorm-dense-bn-dense-batch-4.toml"


def test_document_writes_the_batchnorm_chain_rule_step_by_step_with_numbers():
    derivation = load_derivation(BN)
    text = render_document(derivation, digits=9)
    net = derivation.network
    grads, adjoints = twin.gradient(net.numeric_layers(), net.loss, net.numeric_params(),
                                    np.array(net.x, dtype=float), np.array(net.y, dtype=float))
    assert "\\paragraph{Feature 1, step by step}" in text
    assert "\\frac{\\partial L}{\\partial \\sigma^2} &= -\\tfrac12 (0.14375 + 1 \\cdot 10^{-5})^{-3/2}" in text
    for s in range(4):  # ∂L/∂v_s of feature 1 = dL/da1[1] of sample s
        assert f"\\frac{{\\partial L}}{{\\partial v_{{{s + 1}}}}} &=" in text
        assert f"= {adjoints[1][s][0]:.9g} \\\\" in text
    assert f"\\frac{{\\partial L}}{{\\partial \\gamma^{{(2)}}_{{1}}}} &= {grads['gamma2'][0]:.9g}," in text
    assert f"\\frac{{\\partial L}}{{\\partial \\beta^{{(2)}}_{{3}}}} &= {grads['beta2'][2]:.9g} \\\\" in text
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")


def test_derive_prints_every_layers_rules():
    run = subprocess.run([sys.executable, "-m", "symbolic.cli", "derive", str(ROOT / "derivations" /
                          "012-layernorm-dense-ln-dense.toml")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line for line in lines if line.startswith("layer")] == [
        "layer 1: dense: u = W a + b, a = f(u)",
        "layer 2: layer normalization over the features, per sample (v: one sample's features)",
        "layer 3: dense: u = W a + b, a = f(u)"]
    assert "  \\frac{\\partial L}{\\partial \\gamma} = \\sum_i \\frac{\\partial L}{\\partial a_i}\\hat{x}_i, \\quad " \
           "\\frac{\\partial L}{\\partial \\beta} = \\sum_i \\frac{\\partial L}{\\partial a_i}" in lines


# (file, strings the document must hold): the check's file-level notes and the file's `unchecked` text.
# 029's y[2] = 1.25 lies outside (−1, 1), where h = o·tanh(c) lives (|o| < 1, |tanh| < 1): written by hand.
NOTE_ROWS = [
    ("029-kherud-lstm-two-steps.toml",
     ["Notes from the check:", "\\item y[2] = 1.25 (step 2) cannot be reached", "\\section*{Notes}"]),
    ("011-batchnorm-dense-bn-dense-batch-4.toml", []),  # no note: nothing beyond the claims table
]


def test_layer_document_prints_the_checks_notes_and_the_files_unchecked_text():
    for name, expected in NOTE_ROWS:
        derivation = load_derivation(ROOT / "derivations" / name)
        text = render_document(derivation, digits=9)
        for piece in expected:
            assert piece in text, (name, piece)
        if not expected:
            assert "Notes from the check:" not in text, name
        if derivation.unchecked.strip():
            assert "\\section*{Notes}" in text, name
