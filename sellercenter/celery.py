"""The Celery app: tasks autodiscovered from the apps, settings under the CELERY namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercenter.settings")

app = Celery("sellercenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
