"""A binary min-heap over two parallel arrays (keys, nodes) for the numba route and landmark searches.

Written here rather than taken from `heapq`: numba compiles `heapq` only over lists of tuples, which box each item;
two preallocated arrays keep the searches' inner loops free of allocation. Stale entries (a node pushed again with a
lower key) are left in and skipped by the caller when popped (lazy deletion). `inline="always"` puts both into the
searches' own code, as they were before they were shared.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def heap_pop(heap_f, heap_n, size):
    """The node of least key among the first `size` items, removed; returns (node, new size)."""
    node = heap_n[0]
    size -= 1
    if size > 0:
        lf = heap_f[size]
        ln = heap_n[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and heap_f[c + 1] < heap_f[c]:
                c += 1
            if heap_f[c] >= lf:
                break
            heap_f[i] = heap_f[c]
            heap_n[i] = heap_n[c]
            i = c
        heap_f[i] = lf
        heap_n[i] = ln
    return node, size


@njit(cache=True, inline="always")
def heap_push(heap_f, heap_n, size, key, node):
    """Adds `node` with `key` after the first `size` items (the arrays hold room for it); returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) // 2
        if heap_f[p] <= key:
            break
        heap_f[i] = heap_f[p]
        heap_n[i] = heap_n[p]
        i = p
    heap_f[i] = key
    heap_n[i] = node
    return size + 1
