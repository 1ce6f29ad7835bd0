"""The Celery app: tasks autodiscovered from the apps, settings under the CELERY namespace.

The broker is ``REDIS_URL``; without it, the embedded filesystem broker of ``make run``, whose
folders are made here so a fresh checkout needs no setup. Celery beat queues a refresh of the
status detail options as soon as it starts, so a new installation does not wait a whole
interval for its first mapping.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercenter.settings")

app = Celery("sellercenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def make_broker_folders(sender: Celery, **kwargs: object) -> None:
    if not str(sender.conf.broker_url or "").startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options or {}
    for name in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(name):
            Path(options[name]).mkdir(parents=True, exist_ok=True)


@beat_init.connect
def refresh_on_start(sender: object, **kwargs: object) -> None:
    app.send_task("maintenance.refresh_all_status_details", kwargs={"trigger": "startup"})
