"""One log line per request: text by default, JSON with COMMENTSVC_LOG_FORMAT=json.

The client is logged as a short keyed hash, never the raw address, and
tokens in confirm/unsubscribe links are cut from the path.
"""

from __future__ import annotations

import re

import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from commentsvc.web.keys import RUNTIME

_TOKEN_PATH = re.compile(r"^/(s|u)/[^/]+")


def loggable_path(path: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/…", path)


class RequestLog(AbstractAccessLogger):
    json_format = False

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(20):
            return
        try:
            runtime = request.app[RUNTIME]  # type: ignore[attr-defined]
            client = runtime.keys.ip_hash(request.remote or "")[:12]
        except (KeyError, AttributeError):
            client = "-"
        path = loggable_path(request.path)
        if self.json_format:
            self.logger.info(
                orjson.dumps(
                    {
                        "msg": "request",
                        "method": request.method,
                        "path": path,
                        "status": response.status,
                        "duration_ms": round(time * 1000, 2),
                        "bytes": response.body_length,
                        "client": client,
                    }
                ).decode()
            )
        else:
            self.logger.info(
                "%s %s %s %d %dB %.1fms",
                client,
                request.method,
                path,
                response.status,
                response.body_length,
                time * 1000,
            )


class JsonRequestLog(RequestLog):
    json_format = True
