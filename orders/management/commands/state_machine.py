"""``python manage.py state_machine``: the order item state machine as a Mermaid diagram."""

from django.core.management.base import BaseCommand

from orders.state_machine import mermaid


class Command(BaseCommand):
    help = "Print the order item state machine as a Mermaid diagram."

    def handle(self, *args, **options):
        self.stdout.write(mermaid(), ending="")
