"""Size-limited uploads: the body streams to a temporary file and stops at the limit.

Both the API and the upload page install ``LimitedUploadHandler`` before anything reads
the request body, so an oversized upload is cut off while it arrives instead of being
written to disk in full and measured afterwards.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler

from genomics.exceptions import UploadTooLarge


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Stream file parts to a temporary file; abandon the upload past ``limit`` bytes."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def install_upload_limit(request) -> LimitedUploadHandler:
    """Refuse a declared oversized body at once; otherwise stream it under the limit."""
    limit = settings.HELIX_MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + 64 * 1024:  # the multipart envelope adds a little
        raise UploadTooLarge(f"The upload is larger than the limit of {limit} bytes.")
    handler = LimitedUploadHandler(request, limit=limit)
    request.upload_handlers = [handler]
    return handler


def check_upload_limit(handler: LimitedUploadHandler) -> None:
    if handler.exceeded:
        raise UploadTooLarge(f"The upload is larger than the limit of {handler.limit} bytes.")
