"""Reading YAML files strictly: a key written twice in one mapping is an error; a key no
model knows is named with the keys that are valid there.

PyYAML's ``safe_load`` keeps the *last* of two equal keys without a word, so a recipe with
two ``data:`` sections, or a step with ``method:`` written twice, would run with one of them
silently ignored. Every YAML file gipro reads (recipes, frameworks) goes through
:func:`load_yaml`, which rejects such files naming the key and both lines.

Every YAML model (recipe, framework, scenarios, sensitivity configuration, park frameworks)
forbids unknown keys; :func:`unknown_key_message` words that error for all of them: the
valid keys of that section, and the nearest one (:func:`gipro.suggest.near_match`).
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from yaml.constructor import ConstructorError

from .errors import InputError
from .suggest import near_match

__all__ = ["allowed_keys", "load_yaml", "unknown_key_message"]


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """``SafeLoader`` that refuses duplicate keys in a mapping (libyaml's parser when PyYAML
    was built with it: the same documents, about ten times faster)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
                       ) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # resolve '<<' merge keys first (they may repeat keys)
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError("while constructing a mapping", node.start_mark,
                                   "found an unhashable key", key_node.start_mark) from None
        if key in seen:
            first = seen[key]
            raise ConstructorError(
                None, None,
                f"key {key!r} appears twice in one mapping (first on line {first.line + 1}, "
                f"again on line {key_node.start_mark.line + 1}); keep one of them",
                key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


#: Most values a YAML document may hold once its aliases (``*name``) are expanded: a few
#: hundred bytes of nested aliases ("billion laughs") would otherwise expand to millions of
#: values, exhausting memory when validated or printed.
MAX_NODES = 100_000


def _check_aliases(node: yaml.Node, origin: str) -> None:
    """Refuse a document whose aliases expand to more than :data:`MAX_NODES` values
    (counted on the composed graph, each shared node once per reference, memoised)."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node, depth: int = 0) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if depth > 200:
            raise InputError(f"{origin} is not valid YAML: nested too deeply")
        sizes[key] = 1  # a cycle counts once (a recursive alias is refused by the builder)
        total = 1
        if isinstance(n, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total += sum(size(v, depth + 1) for v in n.value)
        sizes[key] = total
        if total > MAX_NODES:
            raise InputError(f"{origin}: its aliases (*name) expand to more than "
                             f"{MAX_NODES:,} values", ["write the values out, or use "
                                                      "fewer nested aliases"])
        return total

    size(node)


def load_yaml(text: str, origin: str) -> Any:
    """Parse YAML ``text`` (from ``origin``, used in messages), refusing duplicate keys.

    Parameters
    ----------
    text : str
        The YAML document.
    origin : str
        What is being read, e.g. ``"recipe my.yaml"``.

    Returns
    -------
    object
        The parsed document (mapping, list, scalar or ``None``).

    Raises
    ------
    InputError
        If the text is not valid YAML or a mapping repeats a key (line numbers given).

    Examples
    --------
    >>> load_yaml("a: 1\\nb: [2, 3]\\n", "example")
    {'a': 1, 'b': [2, 3]}
    >>> try:
    ...     load_yaml("a: 1\\na: 2\\n", "example")
    ... except InputError as exc:
    ...     print(exc)  # doctest: +NORMALIZE_WHITESPACE
    example is not valid YAML: key 'a' appears twice in one mapping (first on line 1, again
    on line 2); keep one of them
    """
    try:
        loader = _StrictLoader(text)  # a SafeLoader subclass
        try:
            node = loader.get_single_node()
            if node is not None and "*" in text:
                _check_aliases(node, origin)
            return loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except ConstructorError as exc:
        if exc.problem and "appears twice" in exc.problem:
            raise InputError(f"{origin} is not valid YAML: {exc.problem}") from None
        raise InputError(f"{origin} is not valid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{origin} is not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{origin} is not valid YAML: nested too deeply") from None


def _flat(tp: Any) -> list[Any]:
    """The alternatives of a type: ``Annotated`` unwrapped, unions (``X | Y``) flattened."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _flat(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [t for a in get_args(tp) for t in _flat(a)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(model: type[BaseModel]) -> set[Any]:
    """Values of the model's ``Literal`` fields (discriminator tags such as ``step: treat``)."""
    out: set[Any] = set()
    for f in model.model_fields.values():
        for t in _flat(f.annotation):
            if get_origin(t) is Literal:
                out.update(get_args(t))
    return out


def _step(types_: list[Any], part: str | int) -> list[Any] | None:
    """The types reached from ``types_`` by one part of an error location (``None``: the
    part is a validator tag such as ``function-before[...]``, which moves nowhere)."""
    nxt: list[Any] = []
    for tp in types_:
        origin = get_origin(tp)
        if isinstance(part, int):
            if origin in (list, tuple, set, frozenset, Sequence) and get_args(tp):
                nxt.extend(_flat(get_args(tp)[0]))
        elif _is_model(tp):
            if part in tp.model_fields:
                nxt.extend(_flat(tp.model_fields[part].annotation))
        elif origin in (dict, Mapping) and len(get_args(tp)) == 2:
            nxt.extend(_flat(get_args(tp)[1]))
    if nxt:
        return nxt
    # a union member chosen by its tag (steps.0.normalise) or named by pydantic (PeriodRange)
    chosen = [tp for tp in types_ if _is_model(tp) and (part in _tags(tp) or part == tp.__name__)]
    return chosen or None


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str] | None:
    """The keys a YAML model accepts in the mapping at ``loc`` (a pydantic error location
    without its last part), or ``None`` when they cannot be told.

    Parameters
    ----------
    model : pydantic model class
        The model the whole document was validated with (``Recipe``, ``ScenarioFile``...).
    loc : sequence of str or int
        Path of the mapping: field names, list positions, union tags (as pydantic gives them).

    Examples
    --------
    >>> from gipro.recipe import Recipe
    >>> allowed_keys(Recipe, ["periods"])
    ['start', 'end']
    >>> allowed_keys(Recipe, ["steps", 0, "screen"])[:5]
    ['name', 'input', 'output', 'disable', 'step']
    """
    current: list[Any] = [model]
    for part in loc:
        nxt = _step(current, part)
        if nxt is not None:
            current = nxt
    models = list(dict.fromkeys(tp for tp in current if _is_model(tp)))
    if len(models) != 1:
        return None
    return list(models[0].model_fields)


def unknown_key_message(model: type[BaseModel] | None, loc: Sequence[str | int],
                        shown: Sequence[str] | None = None) -> str:
    """The message for an unknown key at ``loc`` (its last part is the key): the nearest
    valid key if one is near, and the valid keys of that section.

    Parameters
    ----------
    model : pydantic model class or None
        The model the document was validated with (``None``: only "check the spelling").
    loc : sequence of str or int
        The pydantic error location, ending with the unknown key.
    shown : sequence of str, optional
        The section's path as written in the message (default: ``loc`` without the key).

    Examples
    --------
    >>> from gipro.recipe import Recipe
    >>> print(unknown_key_message(Recipe, ["periods", "ends"]))
    unknown key (did you mean 'end'?); valid keys in periods: start, end
    >>> print(unknown_key_message(Recipe, ["colour"]))  # doctest: +NORMALIZE_WHITESPACE
    unknown key (check the spelling); valid keys: name, description, framework, data, periods,
    units, steps, keep, results
    """
    base = "unknown key (check the spelling)"
    if model is None or not loc:
        return base
    keys = allowed_keys(model, loc[:-1])
    if not keys:
        return base
    hit = near_match(loc[-1], keys)
    head = f"unknown key (did you mean {hit[0]!r}?)" if hit else base
    where = ".".join(str(p) for p in (loc[:-1] if shown is None else shown))
    return f"{head}; valid keys{f' in {where}' if where else ''}: {', '.join(keys)}"
