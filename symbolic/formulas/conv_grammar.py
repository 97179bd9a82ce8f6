r"""The lark grammar (LALR) of formula claims about a ``conv2d`` layer of a ``[[layer]]`` list.

Contract
--------
:data:`CONV_GRAMMAR` is the grammar text (with the pieces every reader's grammar shares,
from :mod:`.latex_grammar`) and nothing else lives here; its rule aliases are the
method names of the transformer in :mod:`symbolic.formulas.conv_formula`. It reads the notation of
the convolution tutorials (docs/formulas.md, "Convolution formulas"):

* operators: ``\ast`` / ``*`` / ``∗`` (convolution), ``\star`` / ``⋆`` (cross-correlation), each with an
  optional mode subscript ``_{\text{full}}`` / ``_{valid}``; ``\operatorname{rot180}(K)``,
  ``\mathrm{rot}_{180}(K)``, ``rot_{180^\circ}(K)``, ``\operatorname{flip}(K)``;
  ``\operatorname{conv}(A, B)`` / ``\operatorname{corr}(A, B)`` with a mode subscript or a third
  argument ``\text{full}``, and the tutorials' names written out (``full\_conv(A, B)``,
  ``\text{Full Convolution}(A, B)``: any name of the form :data:`.conv_formula.FUNCTION_NAMES` reads); ``\operatorname{dilate}_{S}(\delta)``, ``\operatorname{pad}_{P}(X)``,
  ``\operatorname{crop}_{P}(M)``;
* index notation: ``x[c, i+u, j+v]`` (NumPy brackets) and ``x_{c,i,j}`` / ``\delta_{ij}`` (subscripts),
  ``\sum \delta``, ``\sum_{i,j}``, ``\sum_{u=0}^{2}``, ``\sum_{\substack{o,i,j,u,v \\ i+u=h,\; j+v=w}}``;
* derivatives ``\frac{\partial L}{\partial X}``, ``\frac{dL}{dK}`` and names ``dX``, ``dout``;
  ``+ -``, ``\cdot`` / ``\times`` / ``\odot`` / juxtaposition products, ``/`` and ``\frac`` by a number.

A Σ takes the whole product that follows it; ``+ -`` are loosest; ∗ ⋆ and the products one level,
to the left.
"""
from __future__ import annotations

from .latex_grammar import (ARITHMETIC_TOKENS, BRACKETED_ATOMS, EQUATION_TOKENS, FRACTION_TOKEN, IGNORED, PARTIAL_TOKEN,
                            SUMS)

__all__ = ["CONV_GRAMMAR"]

_MODE = r"(?:\s*_\s*(?:\{\s*\\(?:text|textrm|mathrm|operatorname|rm|mathit)\s*\{\s*[A-Za-z]+\s*\}\s*\}|\{\s*[A-Za-z]+\s*\}))?"

# A function name: wrapped, \operatorname{…} / \mathrm{…} / \text{…} (letters and digits, words joined by \_ _ - or
# spaces: \text{full\_conv}, \text{Full Convolution}), or bare with an escaped underscore (full\_conv), each only
# when a call follows (an optional subscript, then the parenthesis); or a bare dilate / pad / crop. Which names are
# read, and what each means, is conv_formula.FUNCTION_NAMES (an unknown one is refused there, by name).
_CALL = r"(?=\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9]))?\s*(?:\\left\s*|\\[bB]igg?l?\s*)?\()"
_FN = (r"\\(?:operatorname|mathrm|text|textrm|rm|mathit)\s*\{\s*[A-Za-z][A-Za-z0-9]*(?:(?:\s*(?:\\_|_|-)\s*|\s+)"
       r"[A-Za-z0-9]+)*\s*\}" + _CALL
       + r"|(?<![A-Za-z\\])[A-Za-z][A-Za-z0-9]*(?:\\_[A-Za-z0-9]+)+" + _CALL
       + r"|(?<![A-Za-z\\])(?:dilate|pad|crop)(?![A-Za-z])")

CONV_GRAMMAR = r"""
start: chain
chain: expr (EQ expr)+

""" + SUMS + r"""
?term: term CONV factor             -> conv
     | term CORR factor             -> corr
     | term CDOT factor             -> mul
     | term ODOT factor             -> mul
     | term SLASH factor            -> div
     | term postfix                 -> juxt
     | term SUM sumscript? term     -> juxt_sum
     | factor
?factor: MINUS factor               -> neg
       | SUM sumscript? term        -> sum
       | postfix
?postfix: postfix UNDER subidx      -> subscript
        | postfix LBRACK idxlist RBRACK -> bracket
        | atom
subidx: NAME                        -> sub_name
      | NUMBER                      -> sub_number
      | LBRACE idxlist RBRACE       -> sub_list
idxlist: iexpr (COMMA iexpr)*
?iexpr: iexpr PLUS iterm            -> i_add
      | iexpr MINUS iterm           -> i_sub
      | MINUS iterm                 -> i_neg
      | iterm
?iterm: NUMBER                      -> i_num
      | NAME                        -> i_name
      | NUMBER NAME                 -> i_scaled
      | NUMBER CDOT NAME            -> i_scaled
      | NAME CDOT NUMBER            -> i_scaled_right
      | LPAR iexpr RPAR

sumscript: UNDER sumsub (CARET supval)?
         | CARET supval UNDER sumsub
sumsub: NAME                        -> sum_name
      | LBRACE sumitems RBRACE      -> sum_items
      | LBRACE SUBSTACK sumitems NL sumitems RBRACE RBRACE -> sum_substack
sumitems: sumitem (COMMA sumitem)*
sumitem: iexpr                      -> item_var
       | iexpr EQ iexpr             -> item_eq
supval: NUMBER                      -> sup_number
      | NAME                        -> sup_name
      | LBRACE iexpr RBRACE         -> sup_group

?atom: NAME                         -> name
     | GREEK                        -> name
     | WORD                         -> word
     | NUMBER                       -> number
     | FONT expr RBRACE             -> font
     | ROT postfix                  -> rot
     | FN fnsub? LPAR args RPAR     -> func
""" + BRACKETED_ATOMS + r"""
fnsub: UNDER NUMBER                 -> fn_number
     | UNDER NAME                   -> fn_name
     | UNDER LBRACE NUMBER RBRACE   -> fn_number
     | UNDER LBRACE NAME RBRACE     -> fn_name
     | UNDER LBRACE WORD RBRACE     -> fn_word
args: expr (COMMA expr)*

SUBSTACK.8: /\\substack\s*\{/
SUM.5: /(?:\\sum(?![a-zA-Z])|\u03a3|\u2211)(?:\s*\\limits(?![a-zA-Z]))?/
ROT.9: /(?:\\(?:operatorname|mathrm|text|textrm|rm|mathit)\s*\{\s*(?:rot\s*(?:180)?|flip)\s*\}|(?<![A-Za-z\\])(?:rot(?:180)?|flip)(?![A-Za-z]))(?:\s*_\s*(?:\{\s*180\s*(?:\^\s*\{?\s*\\circ\s*\}?|\u00b0)?\s*\}|180))?(?:\s*\^\s*\{?\s*\\circ\s*\}?)?/
FN.8: /""" + _FN + r"""/
GREEK.5: /\\(?:delta|Delta|omega|theta|ell|sigma)(?![a-zA-Z])|[\u03b4\u0394\u03c9\u03b8\u2113]/
FONT.5: /\\(?:mathbf|boldsymbol|bm|mathit|vec|mathcal|mathsf)\s*\{/
WORD.6: /\\(?:text|textrm|mathrm|operatorname|rm)\s*\{\s*[A-Za-z][A-Za-z0-9]*\s*\}/
CONV.6: /(?:\\ast(?![a-zA-Z])|\*|\u2217|\\circledast(?![a-zA-Z])|\u229b)""" + _MODE + r"""/
CORR.6: /(?:\\star(?![a-zA-Z])|\u22c6)""" + _MODE + r"""/
CDOT.5: /\\cdot(?![a-zA-Z])|\u00b7|\\times(?![a-zA-Z])|\u00d7/
ODOT.5: /\\odot(?![a-zA-Z])|\u2299/
UNDER: "_"
NAME: /[A-Za-z]+/
SLASH: "/"
COMMA: ","
LPAR.5: /\\left\s*\(|\\[bB]igg?l?\s*\(|\(/
RPAR.5: /\\right\s*\)|\\[bB]igg?r?\s*\)|\)/
LBRACK: "["
RBRACK: "]"
SPACING.8: /\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\displaystyle(?![a-zA-Z])|\\left\s*\.|\\right\s*\./
""" + EQUATION_TOKENS + FRACTION_TOKEN + PARTIAL_TOKEN + ARITHMETIC_TOKENS + IGNORED
