from django.apps import AppConfig


class SitetoolsConfig(AppConfig):
    """The test suite's commands (seed, validate, schema_dump, site_coupon_to_redis); no models."""

    name = "sitetools"
