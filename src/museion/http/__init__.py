"""What the apps' views and endpoints share: the small library under every front door.

    errors     the API's one error shape, and the table from a refusal's code to a status
    pages      how an HTML page answers a refusal (404, 403, or a message)
    uploads    an upload's size limit, checked before it is read
    ratelimit  fixed-window counts per user and per client address
    multipart  the streaming multipart parser behind every upload
    storage    local file storage whose files appear whole or not at all
    schemas    the error shape for the OpenAPI schema

It imports no app and nothing of the project shell (`museion.web`: settings, URLs,
the API root, Celery); the apps import it, and the shell imports the apps.
"""
