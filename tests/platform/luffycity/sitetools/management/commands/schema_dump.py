"""`manage.py schema_dump`: the shape of every table Django made, as JSON, to prove an outsider
(Paydesk) changed none of them. MySQL/MariaDB: SHOW CREATE TABLE (the AUTO_INCREMENT counter,
which is data, removed) and the tables' triggers; SQLite: the sqlite_master sql of each table and
its indexes and triggers. "others" lists every other table (Paydesk's own paydesk_* ones)."""

import json
import re

from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Dump the DDL of every Django-made table as JSON"

    def handle(self, *args, **opts):
        django_tables = set(connection.introspection.django_table_names(only_existing=True, include_views=False))
        django_tables.add("django_migrations")
        all_tables = set(connection.introspection.table_names(include_views=True))
        tables = {}
        with connection.cursor() as cur:
            for t in sorted(django_tables & all_tables):
                if connection.vendor == "mysql":
                    cur.execute(f"SHOW CREATE TABLE {connection.ops.quote_name(t)}")
                    ddl = re.sub(r" AUTO_INCREMENT=\d+", "", cur.fetchone()[1])
                    cur.execute(
                        "SELECT trigger_name, event_manipulation, action_timing, action_statement "
                        "FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND event_object_table = %s "
                        "ORDER BY trigger_name",
                        [t],
                    )
                    tables[t] = {"create": ddl, "triggers": [list(r) for r in cur.fetchall()]}
                else:
                    cur.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s ORDER BY type, name", [t])
                    tables[t] = {"objects": [list(r) for r in cur.fetchall()]}
        doc = {"vendor": connection.vendor, "tables": tables, "others": sorted(all_tables - django_tables)}
        self.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1))
