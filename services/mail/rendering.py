"""Jinja2 as e-mail templates use it: parsing (syntax, merge fields used, required pieces shown), and rendering a
published version with a donor's merge fields, HTML part autoescaped, strict about every missing field.

A template is written by the charity's staff and rendered with data from the vault, so it runs in Jinja2's
immutable sandbox (no attribute of Python's internals, no changing the merge data), with no loader (no include,
import or extends: a version is the whole of what is sent), a small `range` and a bound on what it writes. A merge
field the data lacks raises `MissingMergeField` naming the field and the part, at preview, before anyone's inbox.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from jinja2 import Template, TemplateError, TemplateRuntimeError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.meta import find_undeclared_variables
from jinja2.runtime import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from services.kernel.errors import InvalidInput

Part = Literal["subject", "html", "text"]
PART_NAMES: dict[Part, str] = {"subject": "subject", "html": "HTML part", "text": "text part"}
RENDERED_BYTES = 1_000_000  # what one part may write once merged (a loop must not fill the memory)
RANGE = 1_000  # the longest range() a template may loop over
_PATH = "_angeli_path"  # where a mapping of the merge data keeps its dotted name (templates cannot read _names)


class InvalidTemplate(InvalidInput):
    """A part that cannot be parsed or rendered: its syntax, an unsafe expression, an error while rendering."""


class MissingMergeField(InvalidInput):
    """The merge data lacks a field a part shows: refused at preview, never sent."""

    def __init__(self, field: str, part: Part) -> None:
        super().__init__(f"the {PART_NAMES[part]} uses the merge field {field!r}, which this record does not have")
        self.field = field
        self.part = part


class _Missing(UndefinedError):
    """Raised by a missing field; its message is the field's dotted name."""


class _StrictField(StrictUndefined):
    """StrictUndefined that names the whole dotted field missing (`donor.first_name`, not `first_name`)."""

    __slots__ = ()

    def __init__(self, hint: str | None = None, obj: Any = missing, name: str | None = None,
                 exc: type[TemplateRuntimeError] = UndefinedError) -> None:
        if exc is UndefinedError and name is not None:  # a missing field, not the sandbox refusing an attribute
            parent = getattr(obj, _PATH, None) if obj is not missing else None
            hint, exc = (f"{parent}.{name}" if parent else str(name)), _Missing
        super().__init__(hint, obj, name, exc)

    # Written inside a list (`{{ [donor.nickname] }}`, `map(attribute=...) | list`) an undefined shows its repr:
    # strict there too, not the word "Undefined" in a donor's mail.
    __repr__ = StrictUndefined._fail_with_undefined_error


class _Fields(dict[str, Any]):
    """A mapping of the merge data with its dotted name, for `MissingMergeField` (the sandbox hides `_` names)."""

    __slots__ = (_PATH,)


def _fields(value: Any, path: str) -> Any:
    if isinstance(value, Mapping):
        wrapped = _Fields({str(k): _fields(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()})
        setattr(wrapped, _PATH, path)
        return wrapped
    if isinstance(value, list | tuple):
        return tuple(_fields(v, f"{path}[{i}]") for i, v in enumerate(value))
    return value


def _small_range(*args: int) -> range:
    found = range(*args)
    if len(found) > RANGE:
        raise ValueError(f"range() may count at most {RANGE} items, got {len(found)}")
    return found


class _MailEnvironment(ImmutableSandboxedEnvironment):
    """`donor.items` is the donor's field `items`, never the mapping's method: merge data is read as fields."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, _Fields):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, _Fields) and isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)


def _environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = _MailEnvironment(autoescape=autoescape, undefined=_StrictField, keep_trailing_newline=True)
    env.globals = {"range": _small_range}  # no lipsum, cycler, joiner, namespace, dict: nothing a letter needs
    return env


_ENVIRONMENTS: dict[Part, ImmutableSandboxedEnvironment] = {
    "subject": _environment(autoescape=False), "html": _environment(autoescape=True),
    "text": _environment(autoescape=False),
}
_FORBIDDEN: dict[type[nodes.Node], str] = {
    nodes.Extends: "{% extends %}", nodes.Include: "{% include %}", nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
}


@lru_cache(maxsize=256)
def parse(part: Part, source: str) -> nodes.Template:
    """The part's syntax tree (cached: never change it); `InvalidTemplate` naming the part and line for a syntax
    error, a template that reaches for another one, an attribute whose name starts with `_` or a string starting
    with `__` (Python's internals, which the sandbox also refuses while rendering)."""
    try:
        tree = _ENVIRONMENTS[part].parse(source)
    except TemplateSyntaxError as error:
        raise InvalidTemplate(f"the {PART_NAMES[part]} has a syntax error on line {error.lineno}: {error.message}"
                              ) from None
    for kind, tag in _FORBIDDEN.items():
        for node in tree.find_all(kind):
            raise InvalidTemplate(f"the {PART_NAMES[part]} uses {tag} on line {node.lineno}: a template is "
                                  "complete in itself")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const)):
        if isinstance(node, nodes.Const):  # {{ gifts | map(attribute="__class__") }}, {{ x[k ~ "__"] }}
            if isinstance(node.value, str) and node.value.startswith("__"):
                raise InvalidTemplate(f"the {PART_NAMES[part]} uses the string {node.value!r} on line "
                                      f"{node.lineno}: names starting with __ are Python's internals")
            continue
        if isinstance(node, nodes.Getattr):
            name: Any = node.attr
        elif isinstance(node, nodes.Getitem):
            name = getattr(node.arg, "value", None)
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:  # {{ x | attr("__class__") }}
            name = getattr(node.args[0], "value", None)
        else:
            continue
        if isinstance(name, str) and name.startswith("_"):
            raise InvalidTemplate(f"the {PART_NAMES[part]} reads {name!r} on line {node.lineno}: names starting "
                                  "with _ are not merge fields")
    return tree


def merge_fields(tree: nodes.Template) -> list[str]:
    """The merge fields a part uses, as dotted names (`donor.first_name`, `unsubscribe_url`), sorted. The roots
    are Jinja2's undeclared variables; a loop's or a `set`'s own names are not merge fields."""
    roots = find_undeclared_variables(tree)
    found: set[str] = set()

    def visit(node: nodes.Node) -> None:
        path = _path_of(node, roots)
        if path is not None:
            found.add(path)
            return
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):  # donor.name.upper(): donor.name
            owner = _path_of(node.node.node, roots)
            if owner is not None:
                found.add(owner)
                for child in (*node.args, *node.kwargs):
                    visit(child)
                return
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return sorted(found)


@lru_cache(maxsize=256)
def fields_of(part: Part, source: str) -> tuple[str, ...]:
    """`merge_fields` of a part's source, worked out once (Jinja2 compiles the tree to find its variables)."""
    return tuple(merge_fields(parse(part, source)))


def _path_of(node: nodes.Node, roots: set[str]) -> str | None:
    """`donor.address.city` for a chain of attributes or constant keys from an undeclared name, else None."""
    if isinstance(node, nodes.Name):
        return node.name if node.name in roots and node.ctx == "load" else None
    if isinstance(node, nodes.Getattr):
        owner = _path_of(node.node, roots)
        return None if owner is None else f"{owner}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        owner = _path_of(node.node, roots)
        return None if owner is None else f"{owner}.{node.arg.value}"
    return None


def shows(tree: nodes.Template, field: str) -> bool:
    """Whether the part always writes `field` (e.g. `charity.address`): in a `{{ }}` of its own, perhaps through
    filters, outside any `{% if %}`, loop or macro that could leave it out."""
    roots = {field.split(".")[0]}
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            continue
        for expression in output.nodes:
            while isinstance(expression, nodes.Filter) and expression.node is not None:
                expression = expression.node
            if _path_of(expression, roots) == field:
                return True
    return False


def missing_fields(fields_used: list[str], data: Mapping[str, Any]) -> list[str]:
    """Which of the merge fields used the data lacks (a field under a value that is not a mapping, such as
    `donor.name.upper`, counts as present: it names a method of that value)."""
    missing = []
    for field in fields_used:
        value: Any = data
        for key in field.split("."):
            if not isinstance(value, Mapping):
                break
            if key not in value:
                missing.append(field)
                break
            value = value[key]
    return missing


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render_part(part: Part, source: str, data: Mapping[str, Any]) -> str:
    """One part merged with the data. Raises MissingMergeField, or InvalidTemplate for anything else that fails
    (an unsafe attribute, a value of the wrong type, a part that writes more than RENDERED_BYTES)."""
    where = PART_NAMES[part]
    try:
        template = _compiled(part, source)
        return "".join(_bounded(template.generate(_fields(data, "")), where))
    except _Missing as missing:
        raise MissingMergeField(str(missing.message), part) from None
    except SecurityError as error:
        raise InvalidTemplate(f"the {where} is refused by the sandbox: {error}") from None
    except TemplateSyntaxError as error:
        raise InvalidTemplate(f"the {where} has a syntax error on line {error.lineno}: {error.message}") from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as error:
        raise InvalidTemplate(f"the {where} could not be rendered: {error}") from None


@lru_cache(maxsize=256)
def _compiled(part: Part, source: str) -> Template:
    """Compiled once per part and source, not once per recipient (a compiled template renders in any thread)."""
    return _ENVIRONMENTS[part].from_string(source)


def _bounded(chunks: Iterator[str], where: str) -> Iterator[str]:
    written = 0
    for chunk in chunks:
        written += len(chunk.encode())
        if written > RENDERED_BYTES:
            raise InvalidTemplate(f"the {where} writes more than {RENDERED_BYTES // 1_000_000} MB once merged")
        yield chunk


def render(subject: str, html: str, text: str, data: Mapping[str, Any]) -> Rendered:
    """The three parts merged; the subject on one line (a line break in a merge value must not start a header)."""
    merged_subject = " ".join(render_part("subject", subject, data).split())
    return Rendered(merged_subject, render_part("html", html, data), render_part("text", text, data))
