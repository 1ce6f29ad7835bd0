"""WSGI entry point: ``gunicorn sellercenter.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercenter.settings")

application = get_wsgi_application()
