"""Production settings: refuse to start with development defaults; ``check --deploy`` is clean.

Ai runs behind a reverse proxy (or load balancer) that ends TLS and sends every request on to
gunicorn over plain HTTP on a private network. The proxy MUST set ``X-Forwarded-Proto`` itself
(overwriting whatever a client sent): Django then knows which requests came over HTTPS
(``SECURE_PROXY_SSL_HEADER``), redirects the others to HTTPS and marks cookies secure. A
proxy that passes a client's header through would let any client claim HTTPS.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings import *  # noqa: F403
from config.settings import DEV_SECRET_KEY, env_bool

if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters in production."
    )

DEBUG = env_bool("DEBUG", False)

# --- HTTPS (the proxy ends TLS: see above) -------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# A year of HSTS for the operators' host and every municipality's sub-domain (all served by
# Ai over HTTPS only), and the preload flag (entering the browsers' list is a separate,
# deliberate step: https://hstspreload.org).
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
