"""Source text → syntax tree (`ast`), with Lark syntax errors turned into plain-word messages."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

import lightcode
from lightcode.errors import Location, SpecError
from lightcode.spec import ast
from lightcode.spec.diagnostics import did_you_mean, error, remember
from lightcode.units import UnknownUnitError, parse_unit, unit_spellings

GRAMMAR = Path(lightcode.__file__).resolve().parents[1] / "grammars" / "lhw.lark"

_STATEMENT_KEYWORDS = ("lightcode", "import", "param", "set", "device", "link", "realize")
_OPERATORS = {"+", "-", "*", "/", "^", "**"}
_EXPRESSION_START = {"NAME", "NUMBER", "LPAR"}
_PREFIX_OPERATORS = {"MINUS", "PLUS", "NOT"}
_UNITS_HINT = (
    "units are s, Hz, J, W, V, A, m, bit, B, FLOP, MAC, op, dB, dBm, % with SI prefixes;"
    " to multiply, write '*'"
)
_WORDS = {  # terminal → words, in the order they are listed in a message
    "UNIT": "a unit",
    "OPERATOR": "an operator",
    "COMPARE": "a comparison",
    "EXPRESSION": "an expression",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "ARROW": "'->' or '<->'",
    "STATEMENT": "a statement (" + ", ".join(_STATEMENT_KEYWORDS) + ")",
    "END": "the end of the statement",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = GRAMMAR.read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, start=["start", "expr"])


def parse_file(path: Path, text: str) -> list[ast.Statement]:
    """Parse a whole `.lhw` file."""
    return _parse(path, text, "start")


def parse_expression(path: Path, text: str) -> ast.Expr:
    """Parse one expression (e.g. a `--set` value); `path` only names where it came from."""
    return _parse(path, text, "expr")


def _parse(path: Path, text: str, start: str):
    remember(path, text)
    try:
        tree = _parser().parse(text, start=start)
        return _ToAst(path, text).transform(tree)
    except UnexpectedInput as err:
        raise _syntax_error(path, text, err) from None
    except VisitError as err:
        if isinstance(err.orig_exc, SpecError):
            raise err.orig_exc from None
        raise


def _syntax_error(path: Path, text: str, err: UnexpectedInput) -> SpecError:
    loc = Location(path, max(err.line, 1), max(err.column, 1))
    if isinstance(err, UnexpectedCharacters):
        return error(loc, f"unexpected character {text[err.pos_in_stream]!r}")
    assert isinstance(err, UnexpectedToken)
    token, expected = err.token, set(err.expected)
    if token.type == "NAME" and "UNIT" in expected:
        return error(loc, f"unknown unit '{token}'", _unit_hint(str(token)))
    if token.type == "$END":
        found = "unexpected end of file"
    elif token.type == "_NL":
        found = "unexpected end of line"
    else:
        found = f"unexpected '{token}'"
    hint = _open_block(text, err.pos_in_stream) if "RBRACE" in expected else None
    return error(loc, f"{found}: expected {_expected_words(expected)}", hint)


def _open_block(text: str, end: int | None) -> str | None:
    """Where the block still open at `end` began, e.g. "the '{' at line 2 is not closed"."""
    stack: list[int] = []
    code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group()), text[:end])
    for i, ch in enumerate(code):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            stack.pop()
    if not stack:
        return None
    line = text.count("\n", 0, stack[-1]) + 1
    return f"the '{{' at line {line} is not closed"


def _unit_hint(word: str) -> str:
    per_second = re.fullmatch(r"(\w*?)([bB])ps", word)
    if per_second:
        prefix, bit = per_second.groups()
        return f"did you mean '{prefix}{'bit' if bit == 'b' else 'B'}/s'?"
    close = did_you_mean(word, unit_spellings(), cutoff=0.75)
    return close or _UNITS_HINT


def _expected_words(expected: set[str]) -> str:
    parser = _parser()
    kinds: set[str] = set()
    literals: list[str] = []
    if expected >= _EXPRESSION_START:
        expected -= _EXPRESSION_START | _PREFIX_OPERATORS
        kinds.add("EXPRESSION")
    if {"PARAM", "DEVICE", "REALIZE"} <= expected:
        expected = {t for t in expected if t.lower() not in _STATEMENT_KEYWORDS}
        kinds.add("STATEMENT")
    for name in sorted(expected):
        if name in ("_NL", "SEMICOLON", "$END"):
            kinds.add("END")
        elif name in _WORDS:
            kinds.add(name)
        else:
            value = parser.get_terminal(name).pattern.value
            if value in _OPERATORS:
                kinds.add("OPERATOR")
            else:
                literals.append(f"'{value}'")
    words = [w for k, w in _WORDS.items() if k in kinds] + literals
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree → `ast` nodes with locations."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(visit_tokens=False)
        self.path = path
        self.text = text

    def _loc(self, meta) -> Location:
        return Location(self.path, meta.line, meta.column)

    def _token_loc(self, token: Token) -> Location:
        return Location(self.path, token.line, token.column)

    def _rhs(self, meta) -> str:
        return self.text[meta.start_pos : meta.end_pos].split("=", 1)[1].strip()

    # expressions
    def literal(self, meta, children):
        number, unit = children[0], (children[1] if len(children) > 1 else None)
        if unit is None:
            return ast.Number(float(number), parse_unit("").dims, "", self._loc(meta))
        try:
            parsed = parse_unit(str(unit))
        except UnknownUnitError:
            raise error(self._token_loc(unit), f"unknown unit '{unit}'") from None
        value = float(number) * parsed.factor
        return ast.Number(value, parsed.dims, str(unit), self._loc(meta))

    def name(self, meta, children):
        return ast.Name(str(children[0]), self._loc(meta))

    def dotted(self, meta, children):
        return ast.Dotted(str(children[0]), str(children[1]), self._loc(meta))

    def call(self, meta, children):
        return ast.Call(str(children[0]), tuple(children[1:]), self._loc(meta))

    def neg(self, meta, children):
        return ast.Unary("-", children[0], self._loc(meta))

    def not_(self, meta, children):
        return ast.Unary("not", children[0], self._loc(meta))

    def compare(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, self._loc(meta))

    def _binary(op: str):
        def method(self, meta, children):
            return ast.Binary(op, children[0], children[1], self._loc(meta))

        return method

    add, sub, mul, div, pow = _binary("+"), _binary("-"), _binary("*"), _binary("/"), _binary("^")
    and_, or_ = _binary("and"), _binary("or")

    # statements
    def start(self, meta, children):
        """Statements in order; a rule with a `for` clause stands for several."""
        out: list[ast.Statement] = []
        for child in children:
            out.extend(child if isinstance(child, list) else [child])
        return out

    def version(self, meta, children):
        return ast.Version(str(children[0]), self._loc(meta))

    def import_(self, meta, children):
        return ast.Import(str(children[0])[1:-1], self._loc(meta))

    def param(self, meta, children):
        return ast.Param(str(children[0]), children[1], self._rhs(meta), self._loc(meta))

    def set_(self, meta, children):
        return ast.Set(children[0], children[1], self._rhs(meta), self._loc(meta))

    def target(self, meta, children):
        return ".".join(str(c) for c in children)

    def binding(self, meta, children):
        return ast.Binding(children[0], children[1], self._rhs(meta), self._loc(meta))

    def block(self, meta, children):
        return tuple(children)

    def device(self, meta, children):
        name, kind, body = children
        return ast.Device(str(name), str(kind), self._token_loc(kind), body, self._loc(meta))

    def link(self, meta, children):
        src, arrow, dst, body = children
        src_loc, dst_loc = self._token_loc(src), self._token_loc(dst)
        both = str(arrow) == "<->"
        return ast.Link(str(src), str(dst), both, src_loc, dst_loc, body, self._loc(meta))

    def op_list(self, meta, children):
        return tuple((str(t), self._token_loc(t)) for t in children)

    def variant(self, meta, children):
        return ("variant", str(children[0])[1:-1])

    def condition(self, meta, children):
        return ("when", (children[0], self.text[meta.start_pos : meta.end_pos][4:].strip()))

    def value(self, meta, children):
        return children[0], self.text[meta.start_pos : meta.end_pos].strip(), self._loc(meta)

    def variants(self, meta, children):
        name, *values = children
        return ("for", (str(name), self._token_loc(name), values))

    def realize(self, meta, children):
        """One rule, or one per value of a `for NAME in v1, v2, ...` clause (its variants)."""
        ops, device, *options, body = children
        found = dict(options)
        when, when_text = found.get("when", (None, None))
        device_loc = self._token_loc(device)
        variant = found.get("variant")
        loc = self._loc(meta)
        if "for" not in found:
            return ast.Realize(ops, str(device), device_loc, variant, when, when_text, body, loc)
        name, name_loc, values = found["for"]
        slot = "{" + name + "}"
        if variant is None or slot not in variant:
            hint = f'name each variant after the value, e.g. as "x{slot}"'
            raise error(
                name_loc, f"a rule with 'for {name} in ...' needs a variant naming {slot}", hint
            )
        return [
            ast.Realize(
                ops,
                str(device),
                device_loc,
                variant.replace(slot, text),
                when,
                when_text,
                (ast.Binding(name, expr, text, value_loc), *body),
                loc,
            )
            for expr, text, value_loc in values
        ]
