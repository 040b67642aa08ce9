"""BaseModel, exactly as the site's utils/models.py has it: no database default on any column
(Django fills them), `name` NOT NULL. Only the soft-delete flag's spelling depends on the copy."""

from django.db import models

from luffycityapi.variant import VARIANT


class BaseModel(models.Model):
    name = models.CharField(max_length=255, default="", verbose_name="名称/标题")
    is_show = models.BooleanField(default=True, verbose_name="是否显示")
    orders = models.IntegerField(default=1, verbose_name="排序")
    if VARIANT.deleted == "is_deleted":
        is_deleted = models.BooleanField(default=False, verbose_name="是否删除")
    else:
        is_delete = models.BooleanField(default=False, verbose_name="是否删除")
    created_time = models.DateTimeField(auto_now_add=True, verbose_name="添加时间")
    updated_time = models.DateTimeField(auto_now=True, verbose_name="修改时间")

    class Meta:
        abstract = True

    def __str__(self):
        return self.name


# The flag's name in this copy, for queries (`**{DELETED: False}`).
DELETED = VARIANT.deleted
