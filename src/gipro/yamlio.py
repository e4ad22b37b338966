"""Reading YAML files strictly: a key written twice in one mapping is an error.

PyYAML's ``safe_load`` keeps the *last* of two equal keys without a word, so a recipe with
two ``data:`` sections, or a step with ``method:`` written twice, would run with one of them
silently ignored. Every YAML file gipro reads (recipes, frameworks) goes through
:func:`load_yaml`, which rejects such files naming the key and both lines.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .errors import InputError

__all__ = ["load_yaml"]


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys in a mapping."""


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
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except ConstructorError as exc:
        if exc.problem and "appears twice" in exc.problem:
            raise InputError(f"{origin} is not valid YAML: {exc.problem}") from None
        raise InputError(f"{origin} is not valid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{origin} is not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{origin} is not valid YAML: nested too deeply") from None
