"""HCL expressions as python-hcl2 hands them back, evaluated to plain Python values.

python-hcl2 gives an attribute's value as data where it can (numbers, bools, null, lists, maps)
and as HCL text where it cannot: a quoted template (`'"${x}/adopted.hcl"'`) or an expression
(`'${merge(a, b)}'`). `evaluate` parses that text with python-hcl2's own grammar and walks the
tree: literals and templates, tuples and objects, `[for ...]` and `{for ...}` with `if`,
conditionals, operators, attribute and index access, and calls of the functions a `Scope` offers.
So it reads what a configuration means, however it is laid out. Anything else (splats, template
directives, heredocs, a name or a function the scope does not know) raises EvaluationError naming
the expression: a caller never gets a value HCL would not give.

As in HCL, both arms of a conditional and both operands of `&&`/`||` are evaluated. A value may be
a lazy Mapping (a config's `Locals`, each computed when first read); `evaluate` returns plain dicts
and lists.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hcl2.api import parses_to_tree
from lark import Token, Tree

from counterstack.terragrunt.hcl import outside_strings

Function = Callable[..., Any]

_ATTRIBUTE = "value"  # the attribute an expression is parsed as: `value = <expression>`
_PREFIX = f"{_ATTRIBUTE} = "
_ESCAPE = re.compile(r'\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([nrt"\\]))')
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class EvaluationError(ValueError):
    """An expression this evaluator cannot evaluate, or one HCL itself would refuse."""

    def __init__(self, reason: str, expression: str | None = None) -> None:
        text = reason if expression is None else f"cannot evaluate {expression}: {reason}"
        super().__init__(text)
        self.reason = reason
        self.expression = expression


@dataclass(frozen=True)
class Scope:
    """What an expression can name: variables (`local`, `include`, a for's own) and functions."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    functions: Mapping[str, Function] = field(default_factory=dict)

    def with_variables(self, **variables: Any) -> Scope:
        return Scope({**self.variables, **variables}, self.functions)


class Declared(dict):
    """Labels a config declares (`dependency "x"`, `include "root"`); others are an error."""

    def __init__(self, kind: str, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        self.kind = kind

    def missing(self, name: str) -> str:
        return f"{self.kind} {name!r} is not declared"


class Locals(Mapping[str, Any]):
    """A config's `locals`, each evaluated when first read; `given` values win over the block's."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        where: str,
        scope: Scope,
        given: Mapping[str, Any] | None = None,
    ) -> None:
        self._raw = {name: value for name, value in raw.items() if name != "__is_block__"}
        self._given = dict(given or {})
        self._where = where
        self.scope = scope.with_variables(local=self)  # what the locals (and their config) see
        self._values: dict[str, Any] = {}
        self._reading: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        if name in self._values:
            return self._values[name]
        if name not in self._raw:
            raise KeyError(name)
        if name in self._reading:
            raise EvaluationError(f"local.{name} depends on itself")
        self._reading.add(name)
        try:
            self._values[name] = evaluate_lazily(self._raw[name], self.scope)
        finally:
            self._reading.discard(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._given or name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter({**self._raw, **self._given})

    def __len__(self) -> int:
        return len(self._raw.keys() | self._given.keys())

    def missing(self, name: str) -> str:
        return f"{self._where} has no local {name!r}"


def evaluate(raw: Any, scope: Scope) -> Any:
    """A python-hcl2 value (data, or HCL text for a template or an expression) as plain data."""
    return plain(evaluate_lazily(raw, scope))


def evaluate_lazily(raw: Any, scope: Scope) -> Any:
    """`evaluate`, leaving lazy Mappings (a config's locals) to be read as they are used."""
    if raw is None or isinstance(raw, bool | int | float):
        return raw
    if isinstance(raw, list):
        return [evaluate_lazily(item, scope) for item in raw]
    if isinstance(raw, dict):
        return {
            _raw_key(key, scope): evaluate_lazily(item, scope)
            for key, item in raw.items()
            if key != "__is_block__"
        }
    if isinstance(raw, str):
        return _text(raw, scope)
    raise EvaluationError(f"not a value python-hcl2 gives: {raw!r}")


def plain(value: Any) -> Any:
    """A value with every lazy Mapping read out into dicts and lists."""
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


# --- python-hcl2's values ---------------------------------------------------------------------


def _raw_key(key: str, scope: Scope) -> str:
    """An object key as python-hcl2 writes it: a bare name, a quoted string or `${(expr)}`."""
    if key.startswith(('"', "${")):
        return _key(_text(key, scope))
    return key


def _text(raw: str, scope: Scope) -> Any:
    """HCL text: a quoted template, or an expression python-hcl2 wrapped in `${...}`."""
    if raw.startswith('"<<'):
        return _guarded(lambda: _template(_heredoc(raw[1:-1]), scope, escaped=False), raw)
    if raw.startswith('"') and "%{" in raw.replace("%%{", ""):
        return _guarded(lambda: _template(raw[1:-1], scope, escaped=True), raw)
    if raw.startswith('"'):
        source = raw
    elif raw.startswith("${") and raw.endswith("}"):
        source = raw[2:-1]
    else:
        raise EvaluationError("not an HCL expression", raw)
    return _guarded(lambda: _Evaluator(source).value(_parse(source), scope), raw)


def _guarded(compute: Callable[[], Any], raw: str) -> Any:
    """`compute()`, its errors naming the expression `raw` unless they name a narrower one."""
    try:
        return compute()
    except EvaluationError as error:
        if error.expression is None:  # named here, its class (Terragrunt's error type) kept
            error.expression = raw
            error.args = (f"cannot evaluate {raw}: {error.reason}",)
        raise


@functools.lru_cache(maxsize=4096)
def _parse(source: str) -> Tree:
    """The expression tree of `source`, parsed as the value of an attribute."""
    try:
        start = parses_to_tree(_PREFIX + source)
    except Exception as error:  # lark's parse errors share no base class worth naming
        raise EvaluationError(f"not an HCL expression ({type(error).__name__})") from None
    attribute = _trees(start.children[0])[0]
    return _trees(attribute)[-1]


def _trees(node: Tree) -> list[Tree]:
    """A node's child trees, line breaks and comments left out."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def _tokens(node: Tree) -> list[str]:
    return [str(c) for c in node.children if isinstance(c, Token)]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _key(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return template_string(value)
    raise EvaluationError(f"an object key must be a string, not {_kind(value)}")


def template_string(value: Any) -> str:
    """A value as a template renders it (HCL's conversion to string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise EvaluationError(f"{_kind(value)} cannot be part of a string")


def _number(value: Any, operator: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvaluationError(f"{operator} takes numbers, not {_kind(value)}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"{what} must be a bool, not {_kind(value)}")
    return value


def _equal(left: Any, right: Any) -> bool:
    left, right = plain(left), plain(right)
    if isinstance(left, bool) != isinstance(right, bool):
        return False  # HCL: a bool never equals a number
    return left == right


def _arithmetic(operator: str, left: Any, right: Any) -> int | float:
    left, right = _number(left, operator), _number(right, operator)
    if operator in ("/", "%") and right == 0:
        raise EvaluationError(f"division by zero ({operator})")
    result = {
        "+": lambda: left + right,
        "-": lambda: left - right,
        "*": lambda: left * right,
        "/": lambda: left / right,
        "%": lambda: left % right,
    }[operator]()
    return int(result) if isinstance(result, float) and result.is_integer() else result


_COMPARISONS = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _unescape(text: str) -> str:
    def replace(match: re.Match) -> str:
        code = match[1] or match[2]
        return chr(int(code, 16)) if code else _ESCAPES[match[3]]

    if "\\" in _ESCAPE.sub("", text):
        raise EvaluationError(f"invalid escape sequence in {text!r}")
    return _ESCAPE.sub(replace, text)


# The grammar's rules this evaluator knows (python-hcl2 v8's hcl2.lark), each a method `_<rule>`.
_RULES = frozenset(
    {
        "expr_term",
        "int_lit",
        "float_lit",
        "literal_value",
        "string",
        "tuple",
        "object",
        "identifier",
        "get_attr_expr_term",
        "index_expr_term",
        "function_call",
        "conditional",
        "unary_op",
        "binary_op",
        "for_tuple_expr",
        "for_object_expr",
    }
)


class _Evaluator:
    """Walks one parsed expression; `source` names the parts an error is about."""

    def __init__(self, source: str) -> None:
        self.source = source

    def text(self, node: Tree) -> str:
        if node.meta.empty:
            return self.source
        return self.source[node.meta.start_pos - len(_PREFIX) : node.meta.end_pos - len(_PREFIX)]

    def unsupported(self, node: Tree, what: str) -> EvaluationError:
        return EvaluationError(f"{self.text(node)}: {what} are not supported")

    def value(self, node: Tree, scope: Scope) -> Any:
        if node.data not in _RULES:
            return self._unsupported_node(node)
        return getattr(self, f"_{node.data}")(node, scope)

    def _unsupported_node(self, node: Tree) -> Any:
        names = {
            "attr_splat_expr_term": "splat expressions",
            "full_splat_expr_term": "splat expressions",
            "heredoc_template": "heredocs",
            "heredoc_template_trim": "heredocs",
            "template_string": "escaped strings in directives",
        }
        raise self.unsupported(node, names.get(node.data, f"{node.data} expressions"))

    # literals and collections

    def _expr_term(self, node: Tree, scope: Scope) -> Any:
        (inner,) = _trees(node)
        return self.value(inner, scope)

    def _int_lit(self, node: Tree, scope: Scope) -> int:
        return int(_tokens(node)[0])

    def _float_lit(self, node: Tree, scope: Scope) -> float:
        return float(_tokens(node)[0])

    def _literal_value(self, node: Tree, scope: Scope) -> Any:
        return {"true": True, "false": False, "null": None}[_tokens(node)[0]]

    def _string(self, node: Tree, scope: Scope) -> Any:
        parts = [self._string_part(part, scope) for part in _trees(node)]
        if len(parts) == 1 and isinstance(parts[0], _Interpolated):
            return parts[0].value  # "${x}" is x itself, of its own type
        return "".join(
            template_string(part.value) if isinstance(part, _Interpolated) else part
            for part in parts
        )

    def _string_part(self, node: Tree, scope: Scope) -> Any:
        (child,) = node.children
        if isinstance(child, Token):
            if child.type == "STRING_CHARS":
                return _unescape(str(child))
            return str(child)[1:]  # $${ -> ${, %%{ -> %{: escaped, literal text
        if child.data == "interpolation":
            (expression,) = _trees(child)
            return _Interpolated(self.value(expression, scope))
        raise self.unsupported(child, "template directives")

    def _tuple(self, node: Tree, scope: Scope) -> list[Any]:
        return [self.value(item, scope) for item in _trees(node)]

    def _object(self, node: Tree, scope: Scope) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for element in _trees(node):
            key_node, value_node = _trees(element)
            (key,) = _trees(key_node)
            if key.data == "keyword":
                name = _tokens(key)[0]  # `{ for = ... }`: HCL reserves no key
            else:  # `{ name = ... }` is a name, not a variable; `{ (name) = ... }` is one
                name = _bare_name(key) or _key(self.value(key, scope))
            found[name] = self.value(value_node, scope)
        return found

    # names, attributes, indexes, calls

    def _identifier(self, node: Tree, scope: Scope) -> Any:
        name = _tokens(node)[0]
        if name not in scope.variables:
            raise EvaluationError(f"unknown name {name!r}")
        return scope.variables[name]

    def _get_attr_expr_term(self, node: Tree, scope: Scope) -> Any:
        target, attribute = _trees(node)
        (name_node,) = _trees(attribute)
        return _attribute(self.value(target, scope), _tokens(name_node)[0], self.text(node))

    def _index_expr_term(self, node: Tree, scope: Scope) -> Any:
        target, index = _trees(node)
        if index.data == "short_index":
            key: Any = int(_tokens(index)[-1])
        else:
            (expression,) = _trees(index)
            key = self.value(expression, scope)
        return _index(self.value(target, scope), plain(key), self.text(node))

    def _function_call(self, node: Tree, scope: Scope) -> Any:
        if "::" in _tokens(node):
            raise self.unsupported(node, "provider functions")
        name_node, *rest = _trees(node)
        name = _tokens(name_node)[0]
        arguments = rest[0] if rest else None
        if name in _CATCHING:
            return _CATCHING[name](
                [lambda a=a: plain(self.value(a, scope)) for a in _trees(arguments)]
                if arguments
                else []
            )
        values = [self.value(a, scope) for a in _trees(arguments)] if arguments else []
        if arguments is not None and "..." in _tokens(arguments):
            last = plain(values.pop()) if values else None
            if not isinstance(last, list):
                raise EvaluationError(f"{self.text(node)}: `...` expands a list, not {_kind(last)}")
            values += last
        if name not in scope.functions:
            raise EvaluationError(f"{name}() is not a function this reader knows")
        try:
            return scope.functions[name](*[plain(value) for value in values])
        except TypeError as error:
            raise EvaluationError(f"{self.text(node)}: {error}") from None

    # operators

    def _conditional(self, node: Tree, scope: Scope) -> Any:
        condition, if_true, if_false = (self.value(n, scope) for n in _trees(node))
        return if_true if _bool(condition, "a condition") else if_false

    def _unary_op(self, node: Tree, scope: Scope) -> Any:
        (operand,) = _trees(node)
        value = self.value(operand, scope)
        if _tokens(node)[0] == "!":
            return not _bool(value, "the operand of !")
        return -_number(value, "-")

    def _binary_op(self, node: Tree, scope: Scope) -> Any:
        left_node, term = _trees(node)
        operator_node, right_node = _trees(term)
        operator = _tokens(operator_node)[0]
        left, right = self.value(left_node, scope), self.value(right_node, scope)
        if operator == "==":
            return _equal(left, right)
        if operator == "!=":
            return not _equal(left, right)
        if operator in ("&&", "||"):
            left, right = _bool(left, operator), _bool(right, operator)
            return (left and right) if operator == "&&" else (left or right)
        if operator in _COMPARISONS:
            return _COMPARISONS[operator](_number(left, operator), _number(right, operator))
        return _arithmetic(operator, left, right)

    # for expressions

    def _for_tuple_expr(self, node: Tree, scope: Scope) -> list[Any]:
        intro, value_node, *condition = _trees(node)
        return [
            self.value(value_node, inner) for inner in self._iterations(intro, condition, scope)
        ]

    def _for_object_expr(self, node: Tree, scope: Scope) -> dict[str, Any]:
        intro, key_node, value_node, *condition = _trees(node)
        grouped = "..." in _tokens(node)
        found: dict[str, Any] = {}
        for inner in self._iterations(intro, condition, scope):
            key = _key(plain(self.value(key_node, inner)))
            value = self.value(value_node, inner)
            if grouped:
                found.setdefault(key, []).append(value)
            elif key in found:
                raise EvaluationError(f"{self.text(node)}: duplicate key {key!r} (group with ...)")
            else:
                found[key] = value
        return found

    def _iterations(self, intro: Tree, condition: list[Tree], scope: Scope) -> Iterator[Scope]:
        """The scope of each element a for-expression keeps (its `if` true)."""
        *names, collection = _trees(intro)
        variables = [_tokens(name)[0] for name in names]
        items = self.value(collection, scope)
        if isinstance(items, Mapping):
            pairs = [(key, items[key]) for key in sorted(items)]  # HCL iterates keys in order
        elif isinstance(items, list | tuple):
            pairs = list(enumerate(items))
        else:
            raise EvaluationError(f"{self.text(intro)}: cannot iterate over {_kind(items)}")
        for key, item in pairs:
            bound = dict(
                zip(variables, [key, item] if len(variables) == 2 else [item], strict=True)
            )
            inner = scope.with_variables(**bound)
            if condition:
                (test,) = _trees(condition[0])
                if not _bool(self.value(test, inner), "a for-expression's if"):
                    continue
            yield inner


@dataclass(frozen=True)
class _Interpolated:
    """The value of one `${...}` inside a template (kept whole when it is the template)."""

    value: Any


def _bare_name(node: Tree) -> str | None:
    """`name` when the node is a plain identifier (no parentheses around it), else None."""
    if node.data == "expr_term" and not _tokens(node):
        (inner,) = _trees(node)
        if inner.data == "identifier":
            return _tokens(inner)[0]
    return None


def _attribute(target: Any, name: str, where: str) -> Any:
    if isinstance(target, Mapping):
        if name in target:
            return target[name]
        missing = getattr(target, "missing", None)
        raise EvaluationError(
            missing(name)
            if missing
            else f"{where}: no attribute {name!r} (This object does not have an attribute named "
            f'"{name}")'
        )
    raise EvaluationError(f"{where}: {_kind(target)} has no attributes")


def _index(target: Any, key: Any, where: str) -> Any:
    if isinstance(target, Mapping):
        return _attribute(target, _key(key), where)
    if isinstance(target, list | tuple):
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(target):
            raise EvaluationError(f"{where}: no element {key!r} in a list of {len(target)}")
        return target[key]
    raise EvaluationError(f"{where}: {_kind(target)} cannot be indexed")


# --- try() and can(): the functions that see their arguments' errors --------------------------


def _try(arguments: list[Callable[[], Any]]) -> Any:
    """Terraform's try(): the first argument that evaluates without an error."""
    errors = []
    for argument in arguments:
        try:
            return argument()
        except EvaluationError as error:
            errors.append(error.reason)
    raise EvaluationError("try(): no argument could be evaluated: " + "; ".join(errors))


def _can(arguments: list[Callable[[], Any]]) -> bool:
    if len(arguments) != 1:
        raise EvaluationError("can() takes one argument")
    try:
        arguments[0]()
    except EvaluationError:
        return False
    return True


_CATCHING = {"try": _try, "can": _can}


# --- templates with directives, and heredocs ---------------------------------------------------

_FOR = re.compile(r"^for\s+(\w+)(?:\s*,\s*(\w+))?\s+in\s+(.+)$", re.S)
_IF = re.compile(r"^if\s+(.+)$", re.S)


def _heredoc(text: str) -> str:
    """The template inside `<<EOF ... EOF` (`<<-EOF`: lines dedented by their common indent)."""
    opening, _, rest = text.partition("\n")
    body = rest[: rest.rstrip().rfind("\n") + 1]  # drop the closing marker's line
    if opening.startswith("<<-"):
        lines = body.split("\n")
        indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
        cut = min(indents, default=0)
        body = "\n".join(line[cut:] for line in lines)
    return body


@dataclass
class _Part:
    """A `${...}` (interpolation) or `%{...}` (directive) of a template, strip markers read."""

    kind: str
    source: str
    strip_before: bool
    strip_after: bool


def _closing(text: str, start: int) -> int:
    """Index of the `}` closing the interpolation or directive whose body starts at `start`."""
    depth = 1
    for index, char in outside_strings(text, start):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    raise EvaluationError(f"unclosed template sequence in {text!r}")


def _template_parts(text: str, escaped: bool) -> list[Any]:
    """Literal strings and `_Part`s, alternating (a literal first and last), strips applied."""
    parts: list[Any] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            literal.append(text[index + 1 : index + 3])
            index += 3
        elif text.startswith(("${", "%{"), index):
            end = _closing(text, index + 2)
            inner = text[index + 2 : end]
            before, after = inner.startswith("~"), inner.endswith("~")
            inner = inner[int(before) : len(inner) - int(after)]
            kind = "interpolation" if text[index] == "$" else "directive"
            text_so_far = "".join(literal)
            parts += [_unescape(text_so_far) if escaped else text_so_far]
            parts.append(_Part(kind, inner.strip(), before, after))
            literal = []
            index = end + 1
        elif escaped and text[index] == "\\":
            literal.append(text[index : index + 2])
            index += 2
        else:
            literal.append(text[index])
            index += 1
    rest = "".join(literal)
    parts.append(_unescape(rest) if escaped else rest)
    for position in range(1, len(parts), 2):
        if parts[position].strip_before:
            parts[position - 1] = _strip(parts[position - 1], before=True, by_line=not escaped)
        if parts[position].strip_after:
            parts[position + 1] = _strip(parts[position + 1], before=False, by_line=not escaped)
    return parts


def _strip(text: str, *, before: bool, by_line: bool) -> str:
    """A strip marker's trim. A heredoc is read line by line, so there only the line next to the
    marker is trimmed: its text before the marker, or its text (newline included) after it."""
    if not by_line:
        return text.rstrip() if before else text.lstrip()
    if before:
        head, newline, tail = text.rpartition("\n")
        return head + newline + tail.rstrip()
    line, newline, rest = text.partition("\n")
    return (line + newline).lstrip() + rest


def _template(text: str, scope: Scope, *, escaped: bool) -> Any:
    """A template's value: a lone `${x}` is x itself; otherwise the rendered string."""
    parts = _template_parts(text, escaped)
    if len(parts) == 3 and parts[0] == parts[2] == "" and parts[1].kind == "interpolation":
        return _expression(parts[1].source, scope)
    rendered, end = _render(parts, 0, scope, ())
    if end != len(parts):
        raise EvaluationError(f"%{{{parts[end].source}}} has no opening directive")
    return rendered


def _expression(source: str, scope: Scope) -> Any:
    return _Evaluator(source).value(_parse(source), scope)


def _render(parts: list[Any], index: int, scope: Scope, until: tuple[str, ...]) -> tuple[str, int]:
    """Render from `index` to the first directive in `until`; return the text and its index."""
    out: list[str] = []
    while index < len(parts):
        part = parts[index]
        if isinstance(part, str):
            out.append(part)
            index += 1
            continue
        if part.kind == "interpolation":
            out.append(template_string(plain(_expression(part.source, scope))))
            index += 1
            continue
        word = part.source.split(None, 1)[0] if part.source else ""
        if word in until:
            return "".join(out), index
        if match := _IF.match(part.source):
            condition = _bool(_expression(match[1], scope), "a template's if")
            then, index = _render(parts, index + 1, scope, ("else", "endif"))
            otherwise = ""
            if parts[index].source == "else":
                otherwise, index = _render(parts, index + 1, scope, ("endif",))
            out.append(then if condition else otherwise)
            index += 1
        elif match := _FOR.match(part.source):
            start = index + 1
            _, index = _render_skipping(parts, start)
            items = plain(_expression(match[3], scope))
            pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
            for key, item in pairs:
                names = [match[1], match[2]] if match[2] else [match[1]]
                values = [key, item] if match[2] else [item]
                inner = scope.with_variables(**dict(zip(names, values, strict=True)))
                out.append(_render(parts, start, inner, ("endfor",))[0])
            index += 1
        else:
            raise EvaluationError(f"%{{{part.source}}}: not a template directive HCL knows")
    if until:
        raise EvaluationError(f"template directive missing its %{{{until[-1]}}}")
    return "".join(out), index


def _render_skipping(parts: list[Any], index: int) -> tuple[None, int]:
    """The index of the `endfor` closing a for directive, nested directives skipped."""
    depth = 0
    while index < len(parts):
        part = parts[index]
        if isinstance(part, _Part) and part.kind == "directive":
            word = part.source.split(None, 1)[0] if part.source else ""
            if word in ("for", "if"):
                depth += 1
            elif word in ("endfor", "endif"):
                if depth == 0:
                    return None, index
                depth -= 1
        index += 1
    raise EvaluationError("template for directive missing its %{endfor}")
