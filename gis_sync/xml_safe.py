"""The one way gis_sync parses XML: lxml with no network, no DTD loading, no entity expansion, no huge trees;
a delivery that declares entities is refused as such."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from gis_sync.errors import FormatError

# Comments and processing instructions are not data; dropping them keeps every element's tag a string.
OPTIONS: dict[str, Any] = {
    "no_network": True,
    "resolve_entities": False,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
ENTITY_ADVICE = (
    "entity declarations (a DOCTYPE with <!ENTITY ...>) can expand to gigabytes or read other files: "
    "ask for an export without a DOCTYPE"
)
BROKEN_ADVICE = "the file looks truncated or corrupted: ask for a complete export"


def parser() -> etree.XMLParser:
    """A new hardened lxml parser (a caller may add resolvers to it)."""
    return etree.XMLParser(**OPTIONS)


def parse(path: str | Path) -> etree._ElementTree:
    """The whole document at `path`; FormatError if it is broken or declares entities."""
    try:
        doc = etree.parse(str(path), parser())
    except etree.XMLSyntaxError as exc:
        raise broken(exc, path) from None
    except OSError as exc:  # libxml2 reports undecodable bytes as an I/O error
        raise unreadable(exc, path) from None
    refuse_entities(doc, path)
    return doc


def iterparse(path: str | Path, events: tuple[str, ...] = ("start", "end")) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs streamed from `path`, hardened as `parse`. The DTD is read before the root element,
    so it is checked before any element is handed out."""
    checked = False
    try:
        for event, elem in etree.iterparse(str(path), events=events, **OPTIONS):
            if not checked:
                refuse_entities(elem.getroottree(), path)
                checked = True
            yield event, elem
    except etree.XMLSyntaxError as exc:
        raise broken(exc, path) from None
    except OSError as exc:
        raise unreadable(exc, path) from None


def refuse_entities(doc: etree._ElementTree, path: str | Path) -> None:
    """FormatError naming the entities when the document's DTD declares any."""
    dtd = doc.docinfo.internalDTD
    names = [e.name for e in dtd.iterentities()] if dtd is not None else []
    if names:
        listed = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise FormatError(f"entity declarations are not allowed ({listed})", file=str(path), advice=ENTITY_ADVICE)


def broken(exc: etree.XMLSyntaxError, path: str | Path) -> FormatError:
    """FormatError for a syntax error, with its line and column."""
    line, col = exc.position
    message = getattr(exc, "msg", None) or str(exc)
    if "entit" in message.lower():
        return FormatError(
            f"line {line}: entity references are not allowed ({message})", file=str(path), advice=ENTITY_ADVICE
        )
    return FormatError(
        f"the XML is broken at line {line}, column {col} ({message})", file=str(path), advice=BROKEN_ADVICE
    )


def unreadable(exc: OSError, path: str | Path) -> FormatError:
    message = str(exc).replace(str(path), Path(path).name)
    return FormatError(
        f"the XML cannot be read ({message})",
        file=str(path),
        advice="check the file's encoding (its XML declaration must match its bytes) and that it is complete",
    )
