"""A small, fast parser for HCL native syntax (``.tf`` / ``.tfvars``).

python-hcl2 is the reference parser, but it takes about 1.5 s for a
500-resource tree (Lark LALR plus a transform), gives expressions back as
strings that would have to be parsed again to be evaluated, and its
``with_meta`` option (line numbers) is declared but not implemented in 8.1.
This parser reads the structure *and* the expressions in one pass, keeps the
line of every block and attribute, and keeps comments (for in-source waivers).
python-hcl2 stays the reference: the tests compare the two on the fixture
trees, and when this parser rejects a file python-hcl2 is asked for a second
opinion (``hcl_files.parse_hcl_file``), so that a construct this parser does
not know is not reported as the user's syntax error.

The syntax tree is made of tuples (cheap to build):

    ("lit", value)                    ("tmpl", [str | node, ...])
    ("name", ident)                   ("attr", node, name)
    ("index", node, key_node)         ("splat", node, [("attr", name) | ("index", node) | ("splat", [ops])])
    ("call", fname, [args], expand)   ("tuple", [nodes])    ("object", [(key, value)])
    ("unop", op, node)                ("binop", op, left, right)
    ("cond", test, then, else)        ("for", is_obj, key_var, val_var, coll, key, value, cond, group)
    ("tmpl_if", cond, [then parts], [else parts])   ("tmpl_for", kvar, vvar, coll, [parts])

A body is a list of ``Attribute`` and ``Block``.
"""
from __future__ import annotations

import re

from ...record import Record


class HclSyntaxError(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


# Parsing, evaluating and walking the trees are recursive: a nesting deeper than this would
# exhaust Python's stack (a RecursionError) somewhere down the line.  Real configurations nest
# a few levels; the limit counts brackets, braces, parentheses, interpolations, nested blocks,
# unary operators and chains of binary operators / attribute accesses (a left-deep tree).
MAX_NESTING = 64


class HclTooDeep(HclSyntaxError):
    """The input is nested deeper than MAX_NESTING: a limit of specguard, not a syntax error."""

    def __init__(self, line: int):
        super().__init__(f"expression or block nested more than {MAX_NESTING} levels deep "
                         f"(specguard's limit)", line)


class Attribute(Record):
    """``name = expression`` in a body.  (Records, not dataclasses: scanner/record.py.)"""

    __slots__ = ("name", "expr", "line", "text")

    def __init__(self, name: str, expr: tuple, line: int, text: str):
        self.name = name
        self.expr = expr
        self.line = line
        self.text = text     # the expression as written, for evidence


class Block(Record):
    """``type "label" ... { body }``: attributes and nested blocks, in order."""

    __slots__ = ("type", "labels", "body", "line", "end_line")

    def __init__(self, type: str, labels: list[str], body: list, line: int, end_line: int):
        self.type = type
        self.labels = labels
        self.body = body
        self.line = line
        self.end_line = end_line

    def attrs(self) -> dict[str, Attribute]:
        return {i.name: i for i in self.body if isinstance(i, Attribute)}

    def blocks(self, type_: str | None = None) -> list["Block"]:
        return [i for i in self.body if isinstance(i, Block) and (type_ is None or i.type == type_)]


class Parsed(Record):
    """A parsed file: its top-level body and its comments."""

    __slots__ = ("body", "comments")

    def __init__(self, body: list, comments: list[tuple[int, str]] | None = None):
        self.body = body
        self.comments = [] if comments is None else comments   # (line, text)


# ----------------------------------------------------------------------------- tokens
# kinds: id num str op nl eof ; a token is (kind, value, line, start, end)
_TOKEN = re.compile(r"""
    [ \t\r\ufeff]*                  # blanks before a token are skipped in the same step
    (?: (?P<ws>\Z)
  | (?P<nl>\n)
  | (?P<comment>\#[^\n]*|//[^\n]*)
  | (?P<mcomment>/\*.*?\*/)
  | (?P<heredoc><<-?[ \t]*(?P<marker>[A-Za-z_][\w-]*)[ \t]*\r?\n)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_][\w-]*(?:::[A-Za-z_][\w-]*)*)
  | (?P<quote>")
  | (?P<op>==|!=|<=|>=|&&|\|\||=>|\.\.\.|[{}\[\]().,:?=!<>+\-*/%~]) )
""", re.X | re.S)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class _Lexer:
    def __init__(self, text: str):
        self.text = text
        self.comments: list[tuple[int, str]] = []
        self.lex_depth = 0      # nested interpolations while lexing
        self.parse_depth = 0    # tree depth while parsing (shared with the sub-parsers of templates)
        self.strip_next = False  # a "~}" strip marker: drop the whitespace that follows

    def tokens(self, pos: int, line: int, stop_at_brace: bool) -> tuple[list, int, int]:
        """Tokens from ``pos``; with stop_at_brace, up to the ``}`` closing an interpolation."""
        text, out, depth = self.text, [], 0
        match = _TOKEN.match
        n = len(text)
        while pos < n:
            m = match(text, pos)
            if m is None:
                bad = text[pos:].lstrip(" \t\r\ufeff")[:1]
                raise HclSyntaxError(f"unexpected character {bad!r}", line)
            kind = m.lastgroup
            end = m.end()
            pos = m.start(kind)
            if kind == "ws":
                pass
            elif kind == "nl":
                out.append(("nl", "\n", line, pos, end))
                line += 1
            elif kind == "comment":
                self.comments.append((line, m.group(kind)))
            elif kind == "mcomment":
                self.comments.append((line, m.group(kind)))
                line += m.group(kind).count("\n")
            elif kind == "id":
                out.append(("id", m.group(kind), line, pos, end))
            elif kind == "num":
                s = m.group(kind)
                out.append(("num", float(s) if ("." in s or "e" in s or "E" in s) else int(s), line, pos, end))
            elif kind == "quote":
                parts, end, nline = self.string(end, line)
                out.append(("str", parts, line, pos, end))
                line = nline
            elif kind == "heredoc":
                parts, end, nline = self.heredoc(end, line + 1, m.group("marker"), m.group(kind).startswith("<<-"))
                out.append(("str", parts, line, pos, end))
                line = nline
            else:
                op = m.group(kind)
                if stop_at_brace:
                    if op == "{":
                        depth += 1
                    elif op == "}":
                        if depth == 0:
                            out.append(("eof", None, line, pos, pos))
                            return out, end, line
                        depth -= 1
                out.append(("op", op, line, pos, end))
            pos = end
        if stop_at_brace:
            raise HclSyntaxError("unterminated template interpolation '${'", line)
        out.append(("eof", None, line, pos, pos))
        return out, pos, line

    def string(self, pos: int, line: int) -> tuple[list, int, int]:
        """A quoted template: literal text and interpolations, up to the closing quote."""
        text, parts, buf = self.text, [], []
        start_line = line
        self.strip_next = False
        n = len(text)
        while True:
            if pos >= n:
                raise HclSyntaxError("unterminated string", start_line)
            c = text[pos]
            if c == '"':
                break
            if c == "\n":
                raise HclSyntaxError("unterminated string (a quoted string cannot span lines)", start_line)
            if c == "\\":
                e = text[pos + 1: pos + 2]
                if e in _ESCAPES:
                    if not (self.strip_next and _ESCAPES[e] in " \t\r\n"):
                        buf.append(_ESCAPES[e])
                    pos += 2
                elif e in ("u", "U"):
                    width = 4 if e == "u" else 8
                    digits = text[pos + 2: pos + 2 + width]
                    code = int(digits, 16) if len(digits) == width and all(
                        ch in "0123456789abcdefABCDEF" for ch in digits) else -1
                    # a Unicode scalar value only: a lone surrogate is no character any output can hold
                    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                        raise HclSyntaxError(f"invalid escape sequence '\\{e}{digits}': not a Unicode character", line)
                    buf.append(chr(code))
                    pos += 2 + width
                else:
                    raise HclSyntaxError(f"invalid escape sequence '\\{e}'", line)
                continue
            pos, line = self._template_piece(pos, line, parts, buf)
        if buf:
            parts.append("".join(buf))
        return parts, pos + 1, line

    def string_raw(self, pos: int, line: int) -> tuple[list, int, int]:
        """The whole text as a template; quotes and newlines are plain characters (JSON strings)."""
        parts: list = []
        buf: list = []
        n = len(self.text)
        self.strip_next = False
        while pos < n:
            pos, line = self._template_piece(pos, line, parts, buf)
        if buf:
            parts.append("".join(buf))
        return parts, pos, line

    def heredoc(self, pos: int, line: int, marker: str, indent: bool) -> tuple[list, int, int]:
        text = self.text
        lines = []
        while True:
            eol = text.find("\n", pos)
            raw = text[pos: eol if eol >= 0 else len(text)]
            if raw.strip() == marker:
                end = pos + len(raw)
                break
            if eol < 0:
                raise HclSyntaxError(f"heredoc <<{marker} is not closed", line)
            lines.append((pos, raw))
            pos = eol + 1
        if indent:  # <<- strips the smallest common indentation
            widths = [len(r) - len(r.lstrip(" \t")) for _, r in lines if r.strip()]
            cut = min(widths) if widths else 0
        else:
            cut = 0
        parts: list = []
        buf: list = []
        first_line = line
        self.strip_next = False
        for i, (start, raw) in enumerate(lines):
            p, stop = start + cut if len(raw) >= cut else start + len(raw), start + len(raw)
            while p < stop:
                p, _ = self._template_piece(p, first_line + i, parts, buf)
            if not self.strip_next:
                buf.append("\n")
        if buf:
            parts.append("".join(buf))
        return parts, end, first_line + len(lines) + 1

    def _template_piece(self, pos: int, line: int, parts: list, buf: list) -> tuple[int, int]:
        text = self.text
        if self.strip_next:
            if text[pos] in " \t\r\n":
                return pos + 1, line + (text[pos] == "\n")
            self.strip_next = False
        m = _PLAIN.match(text, pos)
        if m is not None:   # a run of ordinary characters, in one step
            buf.append(m.group())
            return m.end(), line
        two = text[pos: pos + 2]
        if two in ("${", "%{"):
            if buf:
                parts.append("".join(buf))
                buf.clear()
            p = pos + 2
            if text[p: p + 1] == "~":   # "${~" / "%{~": strip the whitespace before
                p += 1
                if parts and isinstance(parts[-1], str):
                    parts[-1] = parts[-1].rstrip(" \t\r\n")
                    if not parts[-1]:
                        parts.pop()
            self.lex_depth += 1
            if self.lex_depth > MAX_NESTING:
                raise HclTooDeep(line)
            toks, end, nline = self.tokens(p, line, True)
            self.lex_depth -= 1
            if len(toks) > 1 and toks[-2][0] == "op" and toks[-2][1] == "~":
                toks = toks[:-2] + [toks[-1]]
                self.strip_next = True
            parts.append(("interp" if two == "${" else "directive", toks))
            return end, nline
        if two in ("$$", "%%") and text[pos + 2: pos + 3] == "{":
            buf.append(two[0] + "{")
            return pos + 3, line
        buf.append(text[pos])
        return pos + 1, line + (text[pos] == "\n")


_PLAIN = re.compile(r'[^"\\$%\n]+')


# ----------------------------------------------------------------------------- parser
_BINARY = [("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%")]
_PREC = {op: level for level, ops in enumerate(_BINARY) for op in ops}
_EOF = ("eof", None, 0, 0, 0)


class _Parser:
    def __init__(self, text: str, toks: list, lexer: _Lexer):
        self.text = text
        self.toks = toks
        self.i = 0
        self.lexer = lexer
        self.nl_ok = [False]     # newlines are insignificant inside ( [ and ${ }

    # -- token helpers
    def peek(self):
        toks, i = self.toks, self.i
        if self.nl_ok[-1]:
            while toks[i][0] == "nl":
                i += 1
            self.i = i
        return toks[i]

    def next(self):
        t = self.peek()
        if t[0] != "eof":
            self.i += 1
        return t

    def is_op(self, op: str) -> bool:
        t = self.peek()
        return t[0] == "op" and t[1] == op

    def expect_op(self, op: str):
        t = self.next()
        if t[0] != "op" or t[1] != op:
            raise HclSyntaxError(f"expected '{op}' but found {_desc(t)}", t[2])
        return t

    def deeper(self, levels: int = 1):
        """Count ``levels`` more of nesting; the caller gives them back with ``shallower``."""
        lx = self.lexer
        lx.parse_depth += levels
        if lx.parse_depth > MAX_NESTING:
            raise HclTooDeep(self.toks[self.i][2])

    def shallower(self, levels: int = 1):
        self.lexer.parse_depth -= levels

    def skip_nl(self):
        while self.toks[self.i][0] == "nl":
            self.i += 1

    # -- bodies
    def body(self, closing: bool) -> list:
        items = []
        while True:
            self.skip_nl()
            t = self.toks[self.i]
            if t[0] == "eof":
                if closing:
                    raise HclSyntaxError("a block is not closed: missing '}'", t[2])
                return items
            if t[0] == "op" and t[1] == "}":
                if not closing:
                    raise HclSyntaxError("unexpected '}'", t[2])
                return items
            if t[0] != "id":
                raise HclSyntaxError(f"expected an attribute or block name, found {_desc(t)}", t[2])
            self.i += 1
            nxt = self.toks[self.i]
            if nxt[0] == "op" and nxt[1] == "=":
                self.i += 1
                start = self.toks[self.i]
                expr = self.expr()
                last = self.toks[self.i - 1]
                items.append(Attribute(t[1], expr, t[2], self.text[start[3]:last[4]]))
                self.end_of_item()
            else:
                labels = []
                while True:
                    lt = self.toks[self.i]
                    if lt[0] == "id":
                        labels.append(lt[1])
                    elif lt[0] == "str" and all(isinstance(p, str) for p in lt[1]):
                        labels.append("".join(lt[1]))
                    else:
                        break
                    self.i += 1
                self.expect_op("{")
                self.deeper()
                body = self.body(True)
                self.shallower()
                close = self.next()
                items.append(Block(t[1], labels, body, t[2], close[2]))
                self.end_of_item()

    def end_of_item(self):
        t = self.toks[self.i]
        if t[0] == "nl":
            self.i += 1
        elif t[0] == "eof" or (t[0] == "op" and t[1] == "}"):
            return
        else:
            raise HclSyntaxError(f"expected a new line after the item, found {_desc(t)}", t[2])

    # -- expressions
    def expr(self):
        lx = self.lexer      # deeper()/shallower() inlined: this is the parser's hottest path
        lx.parse_depth += 1
        if lx.parse_depth > MAX_NESTING:
            raise HclTooDeep(self.toks[self.i][2])
        test = self.binary(0)
        if self.is_op("?"):
            self.next()
            a = self.expr()
            self.expect_op(":")
            b = self.expr()
            test = ("cond", test, a, b)
        lx.parse_depth -= 1
        return test

    def binary(self, min_prec: int):
        """Precedence climbing over the binary operators (all left-associative)."""
        left = self.unary()
        chain = 0    # each operator makes the (left-deep) tree one level deeper
        while True:
            t = self.peek()
            prec = _PREC.get(t[1]) if t[0] == "op" else None
            if prec is None or prec < min_prec:
                if chain:
                    self.shallower(chain)
                return left
            self.next()
            self.deeper()
            chain += 1
            left = ("binop", t[1], left, self.binary(prec + 1))

    def unary(self):
        t = self.peek()
        if t[0] == "op" and t[1] in ("!", "-"):
            self.next()
            self.deeper()
            node = ("unop", t[1], self.unary())
            self.shallower()
            return node
        return self.postfix(self.primary())

    def postfix(self, node):
        chain = 0    # a.b.c[0]... is a left-deep tree too
        while True:
            t = self.peek() if self.nl_ok[-1] else self.toks[self.i]
            if t[0] != "op" or t[1] not in (".", "["):
                if chain:
                    self.shallower(chain)
                return node
            self.deeper()
            chain += 1
            if t[1] == ".":
                self.next()
                n = self.next()
                if n[0] == "id":
                    node = ("attr", node, n[1])
                elif n[0] == "num":
                    node = ("index", node, ("lit", int(n[1])))
                elif n[0] == "op" and n[1] == "*":
                    node = ("splat", node, self.splat_rest(legacy=True))
                else:
                    raise HclSyntaxError(f"expected an attribute name after '.', found {_desc(n)}", n[2])
            elif t[1] == "[":
                self.next()
                self.nl_ok.append(True)
                if self.is_op("*"):
                    self.next()
                    self.expect_op("]")
                    self.nl_ok.pop()
                    node = ("splat", node, self.splat_rest(legacy=False))
                else:
                    key = self.expr()
                    self.expect_op("]")
                    self.nl_ok.pop()
                    node = ("index", node, key)

    def splat_rest(self, legacy: bool) -> list:
        ops = []
        while True:
            t = self.toks[self.i]
            if t[0] == "op" and t[1] == ".":
                self.i += 1
                n = self.next()
                if n[0] == "op" and n[1] == "*":
                    # a.*.b.*.c: a splat of each element (the rest belongs to it)
                    ops.append(("splat", self.splat_rest(legacy=True)))
                    return ops
                if n[0] != "id":
                    raise HclSyntaxError(f"expected an attribute name after '.', found {_desc(n)}", n[2])
                ops.append(("attr", n[1]))
            elif t[0] == "op" and t[1] == "[" and not legacy:
                self.i += 1
                if self.is_op("*"):
                    # a[*].b[*].c: a splat of each element's b (the rest belongs to it)
                    self.next()
                    self.expect_op("]")
                    ops.append(("splat", self.splat_rest(legacy=False)))
                    return ops
                self.nl_ok.append(True)
                key = self.expr()
                self.expect_op("]")
                self.nl_ok.pop()
                ops.append(("index", key))
            else:
                return ops

    def primary(self):
        t = self.next()
        kind, val = t[0], t[1]
        if kind == "num":
            return ("lit", val)
        if kind == "str":
            return self.template(val, t[2])
        if kind == "id":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "null":
                return ("lit", None)
            if self.toks[self.i][0] == "op" and self.toks[self.i][1] == "(":
                return self.call(val)
            return ("name", val)
        if kind == "op":
            if val == "(":
                self.nl_ok.append(True)
                e = self.expr()
                self.expect_op(")")
                self.nl_ok.pop()
                return e
            if val == "[":
                return self.tuple()
            if val == "{":
                return self.object()
        raise HclSyntaxError(f"expected an expression, found {_desc(t)}", t[2])

    def call(self, name: str):
        self.next()  # (
        self.nl_ok.append(True)
        args, expand = [], False
        while not self.is_op(")"):
            args.append(self.expr())
            if self.is_op("..."):
                self.next()
                expand = True
            if not self.is_op(","):
                break
            self.next()
        self.expect_op(")")
        self.nl_ok.pop()
        return ("call", name, args, expand)

    def _for_head(self):
        self.next()  # for
        a = self.next()
        if a[0] != "id":
            raise HclSyntaxError("expected a variable name after 'for'", a[2])
        k, v = None, a[1]
        if self.is_op(","):
            self.next()
            b = self.next()
            k, v = a[1], b[1]
        t = self.next()
        if t[0] != "id" or t[1] != "in":
            raise HclSyntaxError("expected 'in' in a for expression", t[2])
        coll = self.expr()
        self.expect_op(":")
        return k, v, coll

    def _at_for(self) -> bool:
        t = self.peek()
        return t[0] == "id" and t[1] == "for" and self.toks[self.i + 1][0] == "id"

    def tuple(self):
        self.nl_ok.append(True)
        if self._at_for():
            k, v, coll = self._for_head()
            val = self.expr()
            cond = self._for_if()
            self.expect_op("]")
            self.nl_ok.pop()
            return ("for", False, k, v, coll, None, val, cond, False)
        items = []
        while not self.is_op("]"):
            items.append(self.expr())
            if not self.is_op(","):
                break
            self.next()
        self.expect_op("]")
        self.nl_ok.pop()
        return ("tuple", items)

    def _for_if(self):
        t = self.peek()
        if t[0] == "id" and t[1] == "if":
            self.next()
            return self.expr()
        return None

    def object(self):
        self.nl_ok.append(True)
        if self._at_for():
            k, v, coll = self._for_head()
            key = self.expr()
            self.expect_op("=>")
            val = self.expr()
            group = False
            if self.is_op("..."):
                self.next()
                group = True
            cond = self._for_if()
            self.expect_op("}")
            self.nl_ok.pop()
            return ("for", True, k, v, coll, key, val, cond, group)
        self.nl_ok.append(False)   # newlines separate object items
        items = []
        while True:
            self.skip_nl()
            if self.is_op("}"):
                break
            t = self.toks[self.i]
            nxt = self.toks[self.i + 1] if t[0] != "eof" else _EOF
            if t[0] == "id" and nxt[0] == "op" and nxt[1] in ("=", ":"):
                self.i += 1
                key = ("lit", t[1])
            else:
                key = self.expr()
            t = self.next()
            if t[0] != "op" or t[1] not in ("=", ":"):
                raise HclSyntaxError(f"expected '=' or ':' after an object key, found {_desc(t)}", t[2])
            items.append((key, self.expr()))
            t = self.toks[self.i]
            if t[0] == "op" and t[1] == ",":
                self.i += 1
            elif t[0] == "nl":
                pass
            elif not (t[0] == "op" and t[1] == "}"):
                raise HclSyntaxError(f"expected ',' or a new line between object items, found {_desc(t)}", t[2])
        self.nl_ok.pop()
        self.expect_op("}")
        self.nl_ok.pop()
        return ("object", items)

    # -- templates
    def template(self, parts: list, line: int):
        nodes, _ = self._template_seq(parts, 0, line, ())
        if len(nodes) == 1 and isinstance(nodes[0], tuple) and len(parts) == 1 and parts[0][0] == "interp":
            return nodes[0]   # "${x}" alone keeps x's type
        if all(isinstance(n, str) for n in nodes):
            return ("lit", "".join(nodes))
        return ("tmpl", nodes)

    def _template_seq(self, parts: list, i: int, line: int, stops: tuple) -> tuple[list, int]:
        out: list = []
        while i < len(parts):
            p = parts[i]
            if isinstance(p, str):
                out.append(p)
                i += 1
                continue
            kind, toks = p
            if kind == "interp":
                out.append(self._sub(toks).expr_all())
                i += 1
                continue
            word = toks[0][1] if toks and toks[0][0] == "id" else ""
            if word in stops:
                return out, i
            if word == "if":
                sub = self._sub(toks[1:])
                cond = sub.expr_all()
                self.deeper()
                then, i = self._template_seq(parts, i + 1, line, ("else", "endif"))
                other: list = []
                if i < len(parts) and parts[i][1][0][1] == "else":
                    other, i = self._template_seq(parts, i + 1, line, ("endif",))
                self.shallower()
                if i >= len(parts):
                    raise HclSyntaxError("%{if} without %{endif}", line)
                out.append(("tmpl_if", cond, then, other))
                i += 1
            elif word == "for":
                sub = self._sub(toks)
                sub.nl_ok = [True]
                k, v, coll = sub._for_head_template()
                self.deeper()
                body, i = self._template_seq(parts, i + 1, line, ("endfor",))
                self.shallower()
                if i >= len(parts):
                    raise HclSyntaxError("%{for} without %{endfor}", line)
                out.append(("tmpl_for", k, v, coll, body))
                i += 1
            else:
                raise HclSyntaxError(f"unknown template directive %{{{word}}}", line)
        if stops:
            return out, i
        return out, i

    def _sub(self, toks: list) -> "_Parser":
        p = _Parser(self.text, toks if toks and toks[-1][0] == "eof" else toks + [_EOF], self.lexer)
        p.nl_ok = [True]
        return p

    def expr_all(self):
        e = self.expr()
        t = self.peek()
        if t[0] != "eof":
            raise HclSyntaxError(f"unexpected {_desc(t)} in an interpolation", t[2])
        return e

    def _for_head_template(self):
        self.next()  # for
        a = self.next()
        k, v = None, a[1]
        if self.is_op(","):
            self.next()
            k, v = a[1], self.next()[1]
        t = self.next()
        if t[0] != "id" or t[1] != "in":
            raise HclSyntaxError("expected 'in' in a %{for} directive", t[2])
        return k, v, self.expr()


def _desc(t) -> str:
    if t[0] == "eof":
        return "the end of the input"
    if t[0] == "nl":
        return "a new line"
    if t[0] == "str":
        return "a string"
    return repr(str(t[1]))


# ----------------------------------------------------------------------------- entry points
def parse(text: str) -> Parsed:
    """Parse a .tf / .tfvars text; raises HclSyntaxError(message, line)."""
    lexer = _Lexer(text)
    toks, _, _ = lexer.tokens(0, 1, False)
    body = _Parser(text, toks, lexer).body(False)
    return Parsed(body, lexer.comments)


def parse_expression(text: str):
    """Parse one expression (a --var value, a string from a .tf.json file)."""
    lexer = _Lexer(text)
    toks, _, _ = lexer.tokens(0, 1, False)
    p = _Parser(text, toks, lexer)
    p.nl_ok = [True]
    return p.expr_all()


def parse_template(text: str):
    """A string as a template ("${...}" interpolations), as in .tf.json files."""
    lexer = _Lexer(text)
    parts, _, _ = lexer.string_raw(0, 1)
    return _Parser(text, [_EOF], lexer).template(parts, 1)

