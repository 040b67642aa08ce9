from django.apps import AppConfig


class CouponConfig(AppConfig):
    name = "coupon"
    verbose_name = "优惠券管理"
