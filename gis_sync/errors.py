"""The gis_sync exception family: every error says which file, feature and field failed, and what to do."""

from __future__ import annotations

import os


class SyncError(Exception):
    """Base of every gis_sync error; carries where it happened and an advice string."""

    default_advice = ""

    def __init__(
        self,
        message: str,
        *,
        file: str | os.PathLike[str] | None = None,
        feature_id: str | None = None,
        field: str | None = None,
        advice: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.run_id: int | None = None  # the SyncRun that recorded it, once recorded
        self.file = os.fspath(file) if file is not None else None
        self.feature_id = feature_id
        self.field = field
        self.advice = advice if advice is not None else self.default_advice
        super().__init__(message)

    @property
    def where(self) -> str:
        parts = []
        # A message that opens with the file's name ("x.gml is empty") does not need it said twice.
        if self.file and not self.message.startswith(os.path.basename(self.file)):
            parts.append(os.path.basename(self.file))
        if self.feature_id:
            parts.append(f"feature {self.feature_id}")
        if self.line:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.advice:
            text = f"{text} — {self.advice}"
        return text

    def with_location(self, **kw: str | None) -> SyncError:
        """Fill in location parts that the raiser could not know (the file, usually)."""
        for key, value in kw.items():
            if getattr(self, key, None) is None and value is not None:
                setattr(self, key, os.fspath(value) if key == "file" else value)
        return self


class FormatError(SyncError, ValueError):
    default_advice = "check that the file is complete and of the format its extension says"


class CRSError(SyncError, ValueError):
    default_advice = "declare the CRS in the file or pass --srid with the EPSG code the coordinates are in"


class GeometryError(SyncError, ValueError):
    default_advice = "repair the geometry in a GIS (e.g. QGIS 'Fix geometries') or remove the feature"


class FieldValueError(SyncError, ValueError):
    default_advice = "fix the value or leave the field empty"


class CodeListError(SyncError, ValueError):
    default_advice = "use a value of the standard's code list, or map the local code in the import options"


class EmptySourceError(SyncError, ValueError):
    default_advice = "check the layer name and any filter; an empty delivery is not imported"


class PlacementError(SyncError, ValueError):
    default_advice = "pass a placement (origin x, y in the storage CRS, rotation in degrees, elevation in metres)"


class MissingFileError(SyncError, OSError):
    default_advice = "deliver the missing companion file next to the main one"


class DownloadError(MissingFileError):
    """A source URL could not be downloaded: the server or the network may be back later (a job retries it)."""

    default_advice = "check the URL and the server's network access"


class SchemaLoadError(SyncError, OSError):
    """An XML Schema that cannot be read or compiled (the schema's fault, not the delivery's)."""

    default_advice = "check the schema path, and that every schema it imports has a local copy"


class WriteError(SyncError, RuntimeError):
    default_advice = "nothing was changed (the run was rolled back); fix the cause named here and run the sync again"


class ValidationError(SyncError, ValueError):
    """Several feature errors found while checking a whole input; `errors` holds them all."""

    def __init__(self, errors: list[SyncError], *, file: str | None = None) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else None
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        self.report = None  # the reader's ReadReport, when a reader raised it
        super().__init__(
            (str(first) if first else "invalid input") + more,
            file=None,
            advice="" if first else "fix the input",
        )
        self.file = file

    def __str__(self) -> str:
        return self.message
