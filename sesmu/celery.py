"""The Celery application. Tasks are routed to named queues so that long work
(billing, mediation, provisioning) can be given its own workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sesmu.settings")

app = Celery("sesmu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
