"""The upload size limit (``DJANGO_UPLOAD_MAX_MB``) on the uploaded file itself.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts a request's fields but not its files. This handler
runs before Django's own: a request whose declared body is over the limit, or a file that grows
past it while arriving, is skipped (its bytes are read off the connection and dropped, never
stored), and ``request.upload_too_large`` names the field, so the form can say why.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

# A multipart body carries a little more than its files: the other fields and the part headers.
BODY_SLACK = 64 * 1024


def upload_max_bytes() -> int:
    return settings.SALES_PERF_UPLOAD_MAX_BYTES


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.too_large_body = False
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.too_large_body = bool(content_length) and content_length > upload_max_bytes() + BODY_SLACK
        return None

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0
        if self.too_large_body:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > upload_max_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self):
        if self.request is not None:
            refused = getattr(self.request, "upload_too_large", set())
            refused.add(self.field_name)
            self.request.upload_too_large = refused
        raise SkipFile
