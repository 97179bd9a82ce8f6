"""The lark grammar (LALR) of the LaTeX that :func:`symbolic.formulas.parser.parse_formula` reads.

Contract
--------
:data:`GRAMMAR` is the grammar text (with the pieces every reader's grammar shares,
from :mod:`.latex_grammar`) and nothing else lives here. Its rule
aliases (``add``, ``hadamard``, ``juxt``, ``frac``, ``nabla``, ``call`` …) are
the method names of :class:`symbolic.formulas.reading.TreeBuilder`, which turns
the parse tree into formula nodes. Precedence: ``+ -`` bind loosest; ``⊙``,
``⊘``, ``\\cdot`` and juxtaposition share one level and associate to the left;
a Σ and an operator ``\\frac{\\partial}{\\partial V}`` take the whole product
that follows them. Plain norm bars arrive pre-marked as open/close by
:func:`symbolic.formulas.parser.parse_formula` (``\\ue000`` / ``\\ue001``).
"""
from __future__ import annotations

from .latex_grammar import (ALIGNED_TOKENS, ARITHMETIC_TOKENS, BRACKET_TOKENS, BRACKETED_ATOMS, DIGIT_FRACTION_TOKEN,
                            EQUATION_TOKENS, FRACTION_TOKEN, IGNORED, NOTE_TOKEN, PRODUCT_TOKENS, SIGNED_PRODUCTS,
                            SPACING_TOKEN, SUMS)

__all__ = ["GRAMMAR"]

GRAMMAR = r"""
start: equation
equation: chain conds?
        | BEGIN_AL chain NL? END_AL conds?
chain: expr (NL? EQ expr)+ NL?
conds: COND+

""" + SUMS + r"""
?term: term ODOT signed             -> hadamard
     | term OSLASH signed           -> ediv
     | term CDOT signed             -> cdot
     | term STAR signed             -> star
""" + SIGNED_PRODUCTS + r"""
?postfix: postfix SUB               -> subscript
        | postfix LAYER             -> layer
        | postfix LAYERLETTER       -> layer
        | postfix TRANSPOSE         -> transpose
        | postfix POWER             -> power
        | postfix PRIME             -> prime
        | postfix CARET LBRACE expr RBRACE  -> supexpr
        | postfix CARET LETTER      -> supexpr
        | atom
?atom: LETTER                       -> letter
     | GREEK                        -> letter
     | NUMBER                       -> number
     | FRACDIGITS                   -> frac_digits
     | FRAC LBRACE PARTIAL RBRACE LBRACE PARTIAL expr RBRACE term -> partial_op
     | NABLA LBRACE expr RBRACE postfix -> nabla
     | NABLA LETTER postfix          -> nabla
     | FNAME fsuffix* LPAR expr RPAR -> call
     | BAREFN fsuffix* LPAR expr RPAR -> call
     | BAREFN fsuffix* barearg       -> bare_call
     | NORML expr NORMR              -> norm
     | BEGIN_MAT mrow (NL mrow)* NL? END_MAT -> matrix
     | FONT expr RBRACE              -> font
     | ACCENT LETTER RBRACE          -> accent
     | ACCENT GREEK RBRACE           -> accent
     | ACCENT FONT LETTER RBRACE RBRACE -> accent_font
     | ACCENT_BARE LETTER            -> accent_bare
     | ACCENT_BARE GREEK             -> accent_bare
     | WORD                          -> word
""" + BRACKETED_ATOMS + r"""
?barearg: barearg SUB               -> subscript
        | barearg LAYER             -> layer
        | barearg LAYERLETTER       -> layer
        | barearg POWER             -> power
        | LETTER                    -> letter
        | GREEK                     -> letter
        | NUMBER                    -> number
        | LBRACE expr RBRACE        -> group
        | FONT expr RBRACE          -> font
        | WORD                      -> word
        | ACCENT LETTER RBRACE      -> accent
        | ACCENT FONT LETTER RBRACE RBRACE -> accent_font
        | ACCENT_BARE LETTER        -> accent_bare
        | FRAC LBRACE expr RBRACE LBRACE expr RBRACE -> frac
mrow: expr (AMP expr)*
fsuffix: PRIME | LAYER

COND.9: /(?:,|\\text\s*\{\s*(?:for|if|when|where)\s*\})\s*\(?\s*[a-z]\s*=\s*\d+\s*\)?/
      | /\(\s*[a-z]\s*=\s*\d+\s*\)/
AMP: "&"
BEGIN_MAT.5: /\\begin\s*\{\s*[bpvBV]?matrix\s*\}/
END_MAT.5: /\\end\s*\{\s*[bpvBV]?matrix\s*\}/
PARTIAL.5: /\\partial(?![a-zA-Z])/
NABLA.5: /\\nabla\s*_/
SUM.5: /\\sum(?![a-zA-Z])(?:\s*\\limits)?(?:\s*_\s*(?:\{\s*[a-z]\s*(?:=\s*\d+\s*)?\}|[a-z])(?:\s*\^\s*(?:\{\s*\d+\s*\}|\d))?)?/
FNAME.6: /[fg](?![a-zA-Z])/
       | /\\(?:sigma|varphi|phi)(?![a-zA-Z])/
       | /\\(?:operatorname|mathrm|text)\s*\{\s*(?:softmax|relu|ReLU|diag|sigmoid|tanh|exp|log)\s*\}/
BAREFN.6: /\\(?:exp|tanh|log|ln)(?![a-zA-Z])/
GREEK.5: /\\delta(?![a-zA-Z])/
FONT.5: /\\(?:mathbf|boldsymbol|bm|mathit|vec|mathbfit|mathrm|mathsf|mathcal)\s*\{/
WORD.6: /\\(?:text|textrm|textit|mathrm|operatorname|rm)\s*\{(?!\s*(?:softmax|relu|ReLU|diag|sigmoid|tanh|exp|log)\s*\})\s*[A-Za-z][A-Za-z0-9]*\s*\}/
ACCENT.5: /\\(?:hat|bar|tilde|widehat|widetilde|overline)\s*\{/
ACCENT_BARE.5: /\\(?:hat|bar|tilde)(?=\s*(?:[A-Za-z]|\\delta(?![a-zA-Z])))/
LAYER.7: /\^\s*\{\s*[\(\[]\s*(?:\d+|[a-zA-Z](?:\s*[+-]\s*\d+)?|\\ell(?:\s*[+-]\s*\d+)?)\s*[\)\]]\s*(?:T|\\top|\\intercal|\\prime(?![a-zA-Z])|')?\s*\}/
LAYERLETTER.7: /\^\s*(?:(?!T(?![a-zA-Z]))[a-zA-Z](?![a-zA-Z])|\\ell(?![a-zA-Z])|\{\s*(?!T\s*\})(?:[a-zA-Z]|\\ell)(?:\s*[+-]\s*\d+)?\s*\})/
TRANSPOSE.7: /\^\s*(?:T(?![a-zA-Z])|\\top(?![a-zA-Z])|\\intercal(?![a-zA-Z])|\\mathsf\s*\{\s*T\s*\}|\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\}|\\mathrm\s*\{\s*T\s*\}|\\mathsf\s*T)\s*\})/
PRIME.7: /'|\^\s*(?:\\prime(?![a-zA-Z])|\{\s*\\prime\s*\})/
POWER.7: /\^\s*(?:\d|\{\s*\d+\s*\})/
SUB.5: /_\s*(?:\{(?:[\sA-Za-z0-9,+\-]|\\(?:text|textrm|mathrm|rm|mathit)\s*\{[\sA-Za-z0-9]*\})*\}|[A-Za-z0-9])/
LETTER: /[A-Za-z]/
OSLASH.5: /\\oslash(?![a-zA-Z])|\u2298/
NORML.5: /\\left\s*(?:\\\||\\[lr]?Vert(?![a-zA-Z]))|\\lVert(?![a-zA-Z])|\ue000\ue000/
NORMR.5: /\\right\s*(?:\\\||\\[lr]?Vert(?![a-zA-Z]))|\\rVert(?![a-zA-Z])|\ue001\ue001/
""" + EQUATION_TOKENS + ALIGNED_TOKENS + FRACTION_TOKEN + DIGIT_FRACTION_TOKEN + ARITHMETIC_TOKENS \
    + PRODUCT_TOKENS + BRACKET_TOKENS + NOTE_TOKEN + SPACING_TOKEN + IGNORED
