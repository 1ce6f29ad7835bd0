"""The "Service desk" group with exactly the permissions of the Maintenance section."""

from django.db import migrations


def create_group(apps, schema_editor):
    from maintenance.roles import sync_service_desk_group

    sync_service_desk_group(apps)


def remove_group(apps, schema_editor):
    from maintenance.roles import SERVICE_DESK_GROUP

    apps.get_model("auth", "Group").objects.filter(name=SERVICE_DESK_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("maintenance", "0002_status_detail_mapping_proxy"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
