"""The interactive API documentation at ``/api/docs``: Swagger UI from the installed
``swagger-ui-py`` package (its ``static`` folder, Swagger UI 5), so the page needs no
CDN and no network (DESIGN §6), and runs under the application's strict CSP: no inline
script or style, the set-up in a script of its own.

FastAPI's own page loads Swagger UI from a CDN, which the CSP blocks and an offline
site cannot reach: it rendered blank.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from tahator.api.problems import ApiError

DOCS_PATH = "/api/docs"
ASSETS = Path(swagger_ui.__file__).parent / "static"
SERVED = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
"""The only files of the package served: nothing else in that folder is reachable."""

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tahator API</title>
<link rel="stylesheet" href="{DOCS_PATH}/assets/swagger-ui.css">
<link rel="icon" href="{DOCS_PATH}/assets/favicon-32x32.png" type="image/png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{DOCS_PATH}/assets/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/start.js"></script>
</body>
</html>
"""

# ``validatorUrl: null``: Swagger UI would otherwise send the document to an outside
# validator for its badge.  Writes from the page carry a bearer token ("Authorize"):
# the session cookie alone is refused for API writes.
START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""

router = APIRouter(prefix=DOCS_PATH, include_in_schema=False)
CACHE = {"Cache-Control": "public, max-age=86400"}


@router.get("", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/start.js")
def start() -> Response:
    return Response(START, media_type="text/javascript")


@router.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    media_type = SERVED.get(name)
    if media_type is None:
        raise ApiError(404, f"no such file {name!r}")
    return FileResponse(ASSETS / name, media_type=media_type, headers=CACHE)


def install(app: FastAPI) -> None:
    app.include_router(router)
