r"""The lark grammar (LALR) of formulas about a normalization layer of a ``[[layer]]`` list.

Contract
--------
:data:`LAYER_GRAMMAR` is the grammar text (with the pieces every reader's grammar shares,
from :mod:`.latex_grammar`) and nothing else lives here; its rule aliases are the
method names of :class:`symbolic.formulas.layer_reading.LayerTreeBuilder`. It reads the notation
of the batch-norm paper, CS231n and Kratzert: names of several letters (``dx``, ``dout``,
``xhat``), Greek letters (``\gamma``, ``\beta``, ``\mu``, ``\sigma``, ``\epsilon``), accents
(``\hat{x}``), subscripts (``x_i``, ``x_{ij}``, ``\mu_B``), powers with rational exponents
(``(\sigma^2+\epsilon)^{-1/2}``, ``^{-\frac{3}{2}}``), ``\sqrt{…}``, fractions, derivatives
(``\frac{\partial L}{\partial x_i}``, ``\frac{dL}{dx}``), ``\sum_{j=1}^{N}``, ``\sum_j``, ``\sum``,
``\cdot``, ``\times``, ``*``, ``\odot``, ``/``, juxtaposition, transposes (``^T``, ``^\top``) and
subscripts with a step offset (``h_{t-1}``, ``\delta_{t+1}``) for the recurrent formulas, and equation chains.

Precedence as in :mod:`symbolic.formulas.grammar`: ``+ -`` loosest; products (``\cdot``,
``\odot``, ``*``, ``/``, juxtaposition) one level, to the left; a Σ takes the whole product that
follows it (``\sum_j dy_j \hat{x}_j`` is Σ_j (dy_j x̂_j)).
"""
from __future__ import annotations

from .latex_grammar import (ALIGNED_TOKENS, ARITHMETIC_TOKENS, BRACKET_TOKENS, BRACKETED_ATOMS, DIGIT_FRACTION_TOKEN,
                            EQUATION_TOKENS, FRACTION_TOKEN, IGNORED, NOTE_TOKEN, PARTIAL_TOKEN, PRODUCT_TOKENS,
                            SIGNED_PRODUCTS, SPACING_TOKEN, SUMS)

__all__ = ["LAYER_GRAMMAR"]

LAYER_GRAMMAR = r"""
start: chain
chain: expr (EQ expr)+ NL?
     | BEGIN_AL expr (NL? EQ expr)+ NL? END_AL

""" + SUMS + r"""
?term: term CDOT signed             -> cdot
     | term ODOT signed             -> hadamard
     | term STAR signed             -> star
     | term SLASH signed            -> div
""" + SIGNED_PRODUCTS + r"""
?postfix: postfix SUB               -> subscript
        | postfix TRANSPOSE         -> transpose
        | postfix CARET LBRACE expr RBRACE -> power
        | postfix CARET SCRIPT      -> power_char
        | atom
?atom: NAME                         -> name
     | GREEK                        -> name
     | NUMBER                       -> number
     | FRACDIGITS                   -> frac_digits
     | SQRT LBRACE expr RBRACE      -> sqrt
     | FONT expr RBRACE             -> font
     | ACCENT NAME RBRACE           -> accent
     | ACCENT GREEK RBRACE          -> accent
     | ACCENT FONT NAME RBRACE RBRACE -> accent_font
     | ACCENT_BARE NAME             -> accent
     | ACCENT_BARE GREEK            -> accent
     | WORD                         -> word
""" + BRACKETED_ATOMS + r"""

SQRT.5: /\\sqrt(?![a-zA-Z])/
SUM.5: /(?:\\sum(?![a-zA-Z])|\u03a3|\u2211)(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*[a-z]\s*(?:=\s*\d+\s*)?\}|[a-z]))?(?:\s*\^\s*(?:\{\s*(?:\d+|[A-Za-z])\s*\}|\d|[A-Za-z]))?/
GREEK.5: /\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|eta|theta|lambda|mu|nu|rho|sigma|tau|phi|psi|omega|ell)(?![a-zA-Z])|[\u03b1-\u03c9\u2113]/
FONT.5: /\\(?:mathbf|boldsymbol|bm|mathit|vec|mathbfit|mathsf|mathcal)\s*\{/
WORD.6: /\\(?:text|textrm|textit|mathrm|operatorname|rm)\s*\{\s*[A-Za-z][A-Za-z0-9]*\s*\}/
ACCENT.5: /\\(?:hat|widehat)\s*\{/
ACCENT_BARE.5: /\\hat(?=\s*(?:[A-Za-z]|\\[a-z]+))/
SUB.5: /_\s*(?:\{(?:[\sA-Za-z0-9,+\-]|\\mathcal\s*\{\s*B\s*\})*\}|[A-Za-z0-9])/
TRANSPOSE.7: /\^\s*(?:T(?![a-zA-Z])|\\top(?![a-zA-Z])|\\intercal(?![a-zA-Z])|\\mathsf\s*\{\s*T\s*\}|\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\})/
SCRIPT.6: /(?<=\^)\s*[0-9]/
NAME: /[A-Za-z]+/
SLASH: "/"
""" + EQUATION_TOKENS + ALIGNED_TOKENS + FRACTION_TOKEN + DIGIT_FRACTION_TOKEN + PARTIAL_TOKEN \
    + ARITHMETIC_TOKENS + PRODUCT_TOKENS + BRACKET_TOKENS + NOTE_TOKEN + SPACING_TOKEN + IGNORED
