"""Exact arithmetic and the recognisers the tools use for what a small model gets wrong.

The tools (ai_service/tools) answer from computation or the user's own data, never from the
model's memory.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from shared.errors import InvalidInput

_BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY_OPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_EXPRESSION = re.compile(r"[-+*/().\d\s^x×÷%]+")
_MAX_EXPONENT = 100
# User text drives the parser and the evaluator: bound both, so that no prompt can recurse them
# to exhaustion ("2*3+" followed by 1,500 minus signs did) or keep them busy.
MAX_EXPRESSION_CHARS = 200
_MAX_DEPTH = 100


class UnsafeExpression(InvalidInput):
    """The text is not an expression we evaluate safely."""


def _evaluate(node: ast.AST, depth: int = 0) -> float:
    if depth > _MAX_DEPTH:
        raise UnsafeExpression("expression nested too deeply")
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, depth + 1)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
        left, right = _evaluate(node.left, depth + 1), _evaluate(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and abs(right) > _MAX_EXPONENT:
            raise UnsafeExpression("exponent too large")
        return float(_BIN_OPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPS:
        return float(_UNARY_OPS[type(node.op)](_evaluate(node.operand, depth + 1)))
    raise UnsafeExpression("unsupported expression")


def evaluate_arithmetic(text: str) -> tuple[str, float] | None:
    """(expression, value) for the arithmetic in `text`, or None when there is none."""
    candidates = [m.group().strip() for m in _EXPRESSION.finditer(text)]
    candidates = [c for c in candidates if re.search(r"\d\s*[-+*/^x×÷%]\s*[\d(]", c)]
    if not candidates:
        return None
    expression = max(candidates, key=len).rstrip("=? ")
    if len(expression) > MAX_EXPRESSION_CHARS:
        return None  # not a sum anyone types: leave it to the model
    python = expression.replace("^", "**").replace("×", "*").replace("x", "*").replace("÷", "/")
    try:
        value = _evaluate(ast.parse(python, mode="eval"))
    except (UnsafeExpression, SyntaxError, ZeroDivisionError, OverflowError):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return expression, value


def format_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.6g}"


_ASKS_FOR_OWN_RECOMMENDATIONS = re.compile(
    r"\b(my recommendations|recommend(ed)?\s+(me\s+)?(a\s+|some\s+|any\s+)?books?|"
    r"what should i read|books? (for|to) me|suggest(ions)?\s+(me\s+)?(a\s+|some\s+)?books?)\b",
    re.IGNORECASE,
)


def asks_for_own_recommendations(*, intent: str, text: str) -> bool:
    """A request for the user's own (book) recommendations, which only their data can answer."""
    return intent == "recommendation_request" and bool(_ASKS_FOR_OWN_RECOMMENDATIONS.search(text))
