"""Test settings: the test database lives on the same cluster and is dropped afterwards."""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES

DEBUG = False
# Several test runs may share one cluster (e.g. two checkouts): AI_TEST_DB names each one's database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("AI_TEST_DB", "test_ai")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Browser tests are served by a WSGI server in a thread: static files straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The whole suite calls the API from one address within minutes: the throttle test sets its own.
AI_API_THROTTLE_RATES = {"token": "100000/minute", "address": "100000/minute"}
