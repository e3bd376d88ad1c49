"""Walking a parsed HTML tree in time linear in its size, however deep it nests.

A saved page can nest elements thousands deep (broken markup, or a hostile page), so
nothing here asks each node about its whole subtree or its whole ancestry: every walk up
the tree stops at the first ancestor already known.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from selectolax.lexbor import LexborNode

STOP_TAGS = frozenset({"body", "html", "main"})


class Outermost:
    """Nodes taken in document order, each only if no node taken before holds it; with a
    ``root``, only nodes inside it are asked about, and no walk goes above it."""

    def __init__(self, root: LexborNode | None = None) -> None:
        self.taken: set[int] = set()
        self._inside: dict[int, bool] = {}  # ancestor id -> taken, or inside a taken node
        if root is not None:
            self._inside[root.mem_id] = False

    def take(self, node: LexborNode) -> bool:
        """Take ``node`` unless a node taken earlier holds it; whether it was taken."""
        if self.inside(node):
            return False
        self.taken.add(node.mem_id)
        self._inside[node.mem_id] = True
        return True

    def inside(self, node: LexborNode) -> bool:
        """Whether a taken node holds ``node`` (``node`` itself not counted)."""
        path: list[int] = []
        parent = node.parent
        answer = False
        while parent is not None:
            known = self._inside.get(parent.mem_id)
            if known is not None:
                answer = known
                break
            path.append(parent.mem_id)
            parent = parent.parent
        for mem_id in path:
            self._inside[mem_id] = answer
        return answer


def outermost(nodes: Iterable[LexborNode], root: LexborNode | None = None,
              ) -> Iterator[LexborNode]:
    """The nodes (in document order, all inside ``root`` if given) that no other holds."""
    marks = Outermost(root)
    for node in nodes:
        if marks.take(node):
            yield node


def holders(nodes: list[LexborNode]) -> set[int]:
    """Ids of the elements that hold two or more of ``nodes``."""
    owner: dict[int, int] = {}
    shared: set[int] = set()
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in shared:
            first = owner.setdefault(parent.mem_id, node.mem_id)
            if first != node.mem_id:
                shared.add(parent.mem_id)
            parent = parent.parent
    return shared


def enclosing(node: LexborNode, shared: set[int]) -> LexborNode:
    """The largest element around ``node`` that holds no other of the nodes ``shared`` was
    computed from (never the body, the html element or main)."""
    element = node
    parent = element.parent
    while parent is not None and parent.tag not in STOP_TAGS and parent.mem_id not in shared:
        element, parent = parent, parent.parent
    return element


def ancestors_of(nodes: Iterable[LexborNode]) -> set[int]:
    """Ids of every element that holds one of ``nodes``."""
    found: set[int] = set()
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in found:
            found.add(parent.mem_id)
            parent = parent.parent
    return found
