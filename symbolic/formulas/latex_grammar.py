r"""The pieces of lark grammar (LALR) that the formula readers' grammars have in common.

Contract
--------
Each constant is grammar text — rules or terminal definitions, one per line — that
:mod:`.grammar` (dense formulas), :mod:`.layer_grammar` (layer lists, recurrent formulas) and
:mod:`.conv_grammar` (conv2d) compose into their own grammar by string concatenation, so that a
token such as ``=`` or ``\frac`` is spelled once: :data:`SUMS` (``+ -``, loosest, to the left),
:data:`SIGNED_PRODUCTS` (juxtaposition, ``AΣB``, then ``-A``, ``+A`` and ``Σ A`` as alternatives of ``?term``),
:data:`BRACKETED_ATOMS` (parentheses, braces, ``\frac{…}{…}`` and ``\frac{\partial X}{\partial V}``
as alternatives of ``?atom``), :data:`EQUATION_TOKENS` (``=``, ``&=``, the line break ``\\``),
:data:`ALIGNED_TOKENS` (``\begin{aligned}`` …), :data:`FRACTION_TOKEN`, :data:`DIGIT_FRACTION_TOKEN`
(``\frac12``), :data:`PARTIAL_TOKEN` (``\partial``, ``∂``), :data:`ARITHMETIC_TOKENS` (numbers,
``+``, ``−``, ``^``, braces), :data:`PRODUCT_TOKENS` (⊙ · × and their commands),
:data:`BRACKET_TOKENS` (``( [`` with ``\left``/``\big``), :data:`NOTE_TOKEN` (a ``\text{…}`` remark,
ignored), :data:`SPACING_TOKEN` (spacing commands) and :data:`IGNORED` (white space and spacing,
skipped). Nothing here is a whole grammar.
"""
from __future__ import annotations

__all__ = ["SUMS", "SIGNED_PRODUCTS", "BRACKETED_ATOMS", "EQUATION_TOKENS", "ALIGNED_TOKENS", "FRACTION_TOKEN", "DIGIT_FRACTION_TOKEN",
           "PARTIAL_TOKEN", "ARITHMETIC_TOKENS", "PRODUCT_TOKENS", "BRACKET_TOKENS", "NOTE_TOKEN", "SPACING_TOKEN",
           "IGNORED"]

SUMS = r"""
?expr: expr PLUS term               -> add
     | expr MINUS term              -> sub
     | term
"""

SIGNED_PRODUCTS = r"""
     | term postfix                 -> juxt
     | term SUM term                -> juxt_sum
     | signed
?signed: MINUS signed               -> neg
       | PLUS signed                -> pos
       | SUM term                   -> sum
       | postfix
"""

BRACKETED_ATOMS = r"""
     | LPAR expr RPAR               -> paren
     | LBRACE expr RBRACE           -> group
     | FRAC LBRACE expr RBRACE LBRACE expr RBRACE                  -> frac
     | FRAC LBRACE PARTIAL expr RBRACE LBRACE PARTIAL expr RBRACE  -> partial
"""

EQUATION_TOKENS = r"""
EQ: /&?\s*=/
NL: /\\\\/
"""

ALIGNED_TOKENS = r"""
BEGIN_AL.5: /\\begin\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
END_AL.5: /\\end\s*\{\s*(?:aligned|align\*?|split|gathered|equation\*?)\s*\}/
"""

FRACTION_TOKEN = r"""
FRAC.5: /\\[dt]?frac(?![a-zA-Z])/
"""

DIGIT_FRACTION_TOKEN = r"""
FRACDIGITS.6: /\\[dt]?frac\s*\d\s*\d/
"""

PARTIAL_TOKEN = r"""
PARTIAL.5: /\\partial(?![a-zA-Z])|\u2202/
"""

ARITHMETIC_TOKENS = r"""
NUMBER: /\d+(?:\.\d+)?/
PLUS: "+"
MINUS: "-" | "\u2212"
CARET: "^"
LBRACE: "{"
RBRACE: "}"
"""

PRODUCT_TOKENS = r"""
ODOT.5: /\\odot(?![a-zA-Z])|\u2299|\\circ(?![a-zA-Z])/
CDOT.5: /\\cdot(?![a-zA-Z])|\u00b7/
STAR.5: /\*|\\ast(?![a-zA-Z])|\\times(?![a-zA-Z])|\u00d7/
"""

BRACKET_TOKENS = r"""
LPAR.5: /\\left\s*[\(\[]|\\[bB]igg?l?\s*[\(\[]|[\(\[]/
RPAR.5: /\\right\s*[\)\]]|\\[bB]igg?r?\s*[\)\]]|[\)\]]/
"""

NOTE_TOKEN = r"""
NOTE.7: /\\(?:text|textrm|textit|mbox)\s*\{[^{}]*(?:[^A-Za-z0-9{}\s]|[A-Za-z0-9]\s+[A-Za-z0-9])[^{}]*\}/
%ignore NOTE
"""

SPACING_TOKEN = r"""
SPACING.8: /\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\displaystyle(?![a-zA-Z])|\\left\s*\.|\\right\s*\.|\\limits(?![a-zA-Z])/
"""

IGNORED = r"""
WS: /\s+/
%ignore WS
%ignore SPACING
"""
