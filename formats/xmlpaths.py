"""Reading XML into the model while remembering where each value came from.

Readers of every XML syntax record, for each model field they fill, the XPath of the element it
came from (keyed by the field's JSON pointer), so a rule finding on the model can name the place
in the caller's document. Values are trimmed; an unparsable number or date names its XPath.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from .errors import MalformedDocument

_STEPS: dict[tuple[str, int], tuple[str, ...]] = {}
_NAMESPACE_KEYS: dict[tuple[tuple[str, str], ...], object] = {}


def _namespace_key(ns: Mapping[str, str]) -> object:
    """One shared token per distinct prefix map, so the path cache is keyed cheaply."""
    return _NAMESPACE_KEYS.setdefault(tuple(sorted(ns.items())), object())


class _Locations(Mapping[str, str]):
    """pointer → XPath, computed on lookup: most reads never need a location."""

    def __init__(self, reader: LocatingReader) -> None:
        self._reader = reader

    def __getitem__(self, pointer: str) -> str:
        element, attribute = self._reader.found[pointer]
        path = self._reader.path(element)
        return f"{path}/@{attribute}" if attribute else path

    def __iter__(self) -> Iterator[str]:
        return iter(self._reader.found)

    def __len__(self) -> int:
        return len(self._reader.found)


class LocatingReader:
    """Finds values under a node by a namespaced path and records pointer → XPath."""

    def __init__(self, root: etree._Element, namespaces: Mapping[str, str]) -> None:
        self.tree = root.getroottree()
        self.ns = dict(namespaces)
        self.ns_key = _namespace_key(self.ns)
        self.found: dict[str, tuple[etree._Element, str | None]] = {}
        self.locations: Mapping[str, str] = _Locations(self)
        self._consumed: set[etree._Element] = set()
        self._index: dict[etree._Element, dict[object, list[etree._Element]]] = {}
        self._prefixes = {uri: prefix for prefix, uri in self.ns.items()}

    def getpath(self, el: etree._Element) -> str:
        """Same as :meth:`path`, under the name lxml's ElementTree uses."""
        return self.path(el)

    def path(self, el: etree._Element) -> str:
        """An XPath with the reader's prefixes and a position only where siblings share a name."""
        steps = []
        while el is not None:
            qname = etree.QName(el)
            prefix = self._prefixes.get(qname.namespace)
            name = f"{prefix}:{qname.localname}" if prefix else qname.localname
            parent = el.getparent()
            if parent is not None:
                same = [s for s in parent if s.tag == el.tag]
                if len(same) > 1:
                    name += f"[{same.index(el) + 1}]"
            steps.append(name)
            el = parent
        return "/" + "/".join(reversed(steps))

    def consume(self, node: etree._Element | None) -> None:
        """Mark an element as understood though no model field holds it (a code we interpret)."""
        if node is not None:
            self._consumed.add(node)

    def unread(self, root: etree._Element) -> tuple[str, ...]:
        """XPaths of elements with a value that no model field took: the conversion report."""
        taken = {element for element, _ in self.found.values()} | self._consumed
        return tuple(
            self.path(el)
            for el in root.iter(etree.Element)  # elements only: comments and PIs carry no data
            if len(el) == 0 and el.text and el.text.strip() and el not in taken
        )

    def node(self, parent: etree._Element | None, path: str) -> etree._Element | None:
        if parent is None:
            return None
        steps = self._steps(path)
        if len(steps) == 1:  # the common case, without a generator per call
            found = self._children(parent).get(steps[0])
            return found[0] if found else None
        return next(self._descend(parent, steps), None)

    def nodes(self, parent: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if parent is None else list(self._descend(parent, self._steps(path)))

    def _children(self, parent: etree._Element) -> dict[object, list[etree._Element]]:
        """The children of ``parent`` by tag, in document order, made once per element: a reader
        asks each aggregate for a dozen children, most of them absent. (Keying by the element
        keeps its lxml proxy, and so its identity, alive.)"""
        index = self._index.get(parent)
        if index is None:
            index = {}
            for child in parent:
                index.setdefault(child.tag, []).append(child)
            self._index[parent] = index
        return index

    def _descend(self, parent: etree._Element, steps: tuple[str, ...]) -> Iterator[etree._Element]:
        """Elements at the child path ``steps`` under ``parent``, in document order (what
        ``findall`` returns)."""
        first, rest = steps[0], steps[1:]
        for child in self._children(parent).get(first, ()):
            if rest:
                yield from self._descend(child, rest)
            else:
                yield child

    def _steps(self, path: str) -> tuple[str, ...]:
        """``ram:A/ram:B`` as ``({uri}A, {uri}B)``."""
        found = _STEPS.get((path, id(self.ns_key)))
        if found is None:
            steps = []
            for step in path.split("/"):
                prefix, sep, local = step.partition(":")
                steps.append(f"{{{self.ns[prefix]}}}{local}" if sep and prefix in self.ns else step)
            found = _STEPS[(path, id(self.ns_key))] = tuple(steps)
        return found

    def text(self, parent: etree._Element | None, path: str, pointer: str) -> str | None:
        found = self.node(parent, path) if path else parent
        if found is None or found.text is None or not found.text.strip():
            return None
        self.found[pointer] = (found, None)
        return found.text.strip()

    def attr(self, parent: etree._Element | None, path: str, name: str, pointer: str) -> str | None:
        found = self.node(parent, path) if path else parent
        value = None if found is None else found.get(name)
        if value is None or not value.strip():
            return None
        self.found[pointer] = (found, name)
        return value.strip()

    def decimal(self, parent: etree._Element | None, path: str, pointer: str) -> Decimal | None:
        value = self.text(parent, path, pointer)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise MalformedDocument(
                f"{value!r} is not a decimal number", location=self.locations[pointer]
            )
        return number

    def date(
        self, parent: etree._Element | None, path: str, pointer: str, *, compact: bool = False
    ) -> date | None:
        """An ISO date (``2026-11-23``, a dateTime's date part) or, ``compact``, ``20261123``."""
        value = self.text(parent, path, pointer)
        if value is None:
            return None
        try:
            if compact:
                return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
            return date.fromisoformat(value[:10])
        except ValueError:
            expected = "YYYYMMDD" if compact else "YYYY-MM-DD"
            raise MalformedDocument(
                f"{value!r} is not a date ({expected})", location=self.locations[pointer]
            ) from None
