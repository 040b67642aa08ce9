"""Settings of the project's own Luffycity site (tests/platform), as the course's settings/dev.py
has them where it matters to Paydesk: TIME_ZONE Asia/Shanghai, a custom user model, MySQL (utf8mb4)
or SQLite. Everything environment-specific comes from env vars so one checkout serves every test:

  PLATFORM_DATABASE  mysql://user:pass@host:port/db, or a SQLite file path (default db.sqlite3)
  PLATFORM_USE_TZ    1/true: Django's default USE_TZ=True (UTC in the columns); default: the
                     course's USE_TZ=False (naive Beijing time)
  PLATFORM_VARIANT   standard | lf | minimal (see luffycityapi/variant.py)
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from luffycityapi.variant import VARIANT

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "paydesk-platform-tests-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "users",
    "courses",
    "orders",
    "sitetools",
]
if VARIANT.has("coupon"):
    INSTALLED_APPS.insert(INSTALLED_APPS.index("sitetools"), "coupon")

# Each variant has its own models, so its own migrations (made by `makemigrations`, committed;
# tests/platform/test_site.py checks they match the models).
MIGRATION_MODULES = {
    app: f"{app}.migrations_{VARIANT.name}"
    for app in ("users", "courses", "orders", "coupon")
    if app in INSTALLED_APPS
}

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "luffycityapi.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database(value):
    if value.startswith(("mysql://", "mariadb://")):
        import pymysql

        # Django 5.2 wants the MySQLdb API of mysqlclient >= 2.2.1; PyMySQL provides that API but
        # announces itself as 1.4.6 when installed as MySQLdb, so say what it stands in for.
        pymysql.version_info = (2, 2, 1, "final", 0)
        pymysql.install_as_MySQLdb()
        u = urlsplit(value)
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": u.path.lstrip("/"),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
            "HOST": u.hostname or "127.0.0.1",
            "PORT": str(u.port or 3306),
            "OPTIONS": {"charset": "utf8mb4"},
        }
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": value}


DATABASES = {"default": _database(os.environ.get("PLATFORM_DATABASE", str(BASE_DIR / "db.sqlite3")))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = os.environ.get("PLATFORM_USE_TZ", "").lower() in ("1", "true", "yes")

MEDIA_ROOT = BASE_DIR / "uploads"
MEDIA_URL = "/uploads/"
STATIC_URL = "/static/"
