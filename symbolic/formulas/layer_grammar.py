r"""The lark grammar (LALR) of formulas about a normalization layer of a ``[[layer]]`` list.

Contract
--------
:data:`LAYER_GRAMMAR` is the grammar text and nothing else lives here; its rule aliases are the
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

__all__ = ["LAYER_GRAMMAR"]

LAYER_GRAMMAR = r"""
start: chain
chain: expr (EQ expr)+ NL?
     | BEGIN_AL expr (NL? EQ expr)+ NL? END_AL

?expr: expr PLUS term               -> add
     | expr MINUS term              -> sub
     | term
?term: term CDOT signed             -> cdot
     | term ODOT signed             -> hadamard
     | term STAR signed             -> star
     | term SLASH signed            -> div
     | term postfix                 -> juxt
     | term SUM term                -> juxt_sum
     | signed
?signed: MINUS signed               -> neg
       | PLUS signed                -> pos
       | SUM term                   -> sum
       | postfix
?postfix: postfix SUB               -> subscript
        | postfix TRANSPOSE         -> transpose
        | postfix CARET LBRACE expr RBRACE -> power
        | postfix CARET SCRIPT      -> power_char
        | atom
?atom: NAME                         -> name
     | GREEK                        -> name
     | NUMBER                       -> number
     | LPAR expr RPAR               -> paren
     | LBRACE expr RBRACE           -> group
     | FRAC LBRACE expr RBRACE LBRACE expr RBRACE                  -> frac
     | FRACDIGITS                   -> frac_digits
     | FRAC LBRACE PARTIAL expr RBRACE LBRACE PARTIAL expr RBRACE  -> partial
     | SQRT LBRACE expr RBRACE      -> sqrt
     | FONT expr RBRACE             -> font
     | ACCENT NAME RBRACE           -> accent
     | ACCENT GREEK RBRACE          -> accent
     | ACCENT FONT NAME RBRACE RBRACE -> accent_font
     | ACCENT_BARE NAME             -> accent
     | ACCENT_BARE GREEK            -> accent
     | WORD                         -> word

EQ: /&?\s*=/
NL: /\\\\/
BEGIN_AL.5: /\\begin\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
END_AL.5: /\\end\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
FRACDIGITS.6: /\\[dt]?frac\s*\d\s*\d/
FRAC.5: /\\[dt]?frac(?![a-zA-Z])/
PARTIAL.5: /\\partial(?![a-zA-Z])|\u2202/
SQRT.5: /\\sqrt(?![a-zA-Z])/
SUM.5: /(?:\\sum(?![a-zA-Z])|\u03a3|\u2211)(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*[a-z]\s*(?:=\s*\d+\s*)?\}|[a-z]))?(?:\s*\^\s*(?:\{\s*(?:\d+|[A-Za-z])\s*\}|\d|[A-Za-z]))?/
GREEK.5: /\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|eta|theta|lambda|mu|nu|rho|sigma|tau|phi|psi|omega|ell)(?![a-zA-Z])|[\u03b1-\u03c9\u2113]/
FONT.5: /\\(?:mathbf|boldsymbol|bm|mathit|vec|mathbfit|mathsf|mathcal)\s*\{/
WORD.6: /\\(?:text|textrm|textit|mathrm|operatorname|rm)\s*\{\s*[A-Za-z][A-Za-z0-9]*\s*\}/
NOTE.7: /\\(?:text|textrm|textit|mbox)\s*\{[^{}]*(?:[^A-Za-z0-9{}\s]|[A-Za-z0-9]\s+[A-Za-z0-9])[^{}]*\}/
ACCENT.5: /\\(?:hat|widehat)\s*\{/
ACCENT_BARE.5: /\\hat(?=\s*(?:[A-Za-z]|\\[a-z]+))/
SUB.5: /_\s*(?:\{(?:[\sA-Za-z0-9,+\-]|\\mathcal\s*\{\s*B\s*\})*\}|[A-Za-z0-9])/
TRANSPOSE.7: /\^\s*(?:T(?![a-zA-Z])|\\top(?![a-zA-Z])|\\intercal(?![a-zA-Z])|\\mathsf\s*\{\s*T\s*\}|\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\})/
CARET: "^"
SCRIPT.6: /(?<=\^)\s*[0-9]/
NAME: /[A-Za-z]+/
NUMBER: /\d+(?:\.\d+)?/
PLUS: "+"
MINUS: "-" | "\u2212"
SLASH: "/"
ODOT.5: /\\odot(?![a-zA-Z])|\u2299|\\circ(?![a-zA-Z])/
CDOT.5: /\\cdot(?![a-zA-Z])|\u00b7/
STAR.5: /\*|\\ast(?![a-zA-Z])|\\times(?![a-zA-Z])|\u00d7/
LPAR.5: /\\left\s*[\(\[]|\\[bB]igg?l?\s*[\(\[]|[\(\[]/
RPAR.5: /\\right\s*[\)\]]|\\[bB]igg?r?\s*[\)\]]|[\)\]]/
LBRACE: "{"
RBRACE: "}"
SPACING.8: /\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\displaystyle(?![a-zA-Z])|\\left\s*\.|\\right\s*\.|\\limits(?![a-zA-Z])/
WS: /\s+/
%ignore WS
%ignore SPACING
%ignore NOTE
"""
