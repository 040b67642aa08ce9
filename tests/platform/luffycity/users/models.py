"""The site's users app (the seed's users/models.py): the user with its credit balance, the
credit ledger and the user-course grants. A copy without the ledger or the grants simply has no
such model (the `minimal` variant)."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from courses.models import Course, CourseChapter, CourseLesson
from luffycityapi import constants
from luffycityapi.models import BaseModel
from luffycityapi.variant import VARIANT


class User(AbstractUser):
    # The display name: `name` in the course's copy, `nickname` in others; the same field.
    if VARIANT.user_name == "name":
        name = models.CharField(max_length=150, default="", null=True, blank=True, verbose_name="用户昵称")
    else:
        nickname = models.CharField(max_length=150, default="", null=True, blank=True, verbose_name="用户昵称")
    mobile = models.CharField(max_length=15, unique=True, verbose_name="手机号")
    money = models.DecimalField(max_digits=9, default=0.0, decimal_places=2, verbose_name="钱包余额")
    credit = models.IntegerField(default=0, verbose_name="积分")
    avatar = models.ImageField(upload_to="avatar/%Y/", blank=True, null=True, default=constants.DEFAULT_USER_AVATAR, verbose_name="个人头像")
    study_time = models.IntegerField(default=0, verbose_name="总学习时长")

    class Meta:
        db_table = VARIANT.tables["users"]
        verbose_name = "用户信息"
        verbose_name_plural = verbose_name


if VARIANT.has("credit"):

    class Credit(BaseModel):
        """积分流水"""

        opera_choices = ((0, "业务增值"), (1, "购物消费"), (2, "系统赠送"))
        operation = models.SmallIntegerField(choices=opera_choices, default=1, verbose_name="积分操作类型")
        number = models.IntegerField(default=0, verbose_name="积分数量", help_text="如果是扣除积分则需要设置积分为负数,如果消费10积分,则填写-10,<br>如果是添加积分则需要设置积分为正数,如果获得10积分,则填写10。")
        # As in the seed: this one keeps its database constraint (no db_constraint=False).
        user = models.ForeignKey(User, related_name="user_credits", on_delete=models.CASCADE, verbose_name="用户")
        remark = models.CharField(max_length=500, null=True, blank=True, verbose_name="备注信息")

        class Meta:
            db_table = VARIANT.tables["credit"]
            verbose_name = "积分流水"
            verbose_name_plural = verbose_name


if VARIANT.has("user_course"):

    class UserCourse(BaseModel):
        """用户的课程"""

        user = models.ForeignKey(User, related_name="user_courses", on_delete=models.CASCADE, verbose_name="用户", db_constraint=False)
        course = models.ForeignKey(Course, related_name="course_users", on_delete=models.CASCADE, verbose_name="课程名称", db_constraint=False)
        chapter = models.ForeignKey(CourseChapter, related_name="user_chapter", on_delete=models.DO_NOTHING, null=True, blank=True, verbose_name="章节信息", db_constraint=False)
        lesson = models.ForeignKey(CourseLesson, related_name="user_lesson", on_delete=models.DO_NOTHING, null=True, blank=True, verbose_name="课时信息", db_constraint=False)
        study_time = models.IntegerField(default=0, verbose_name="学习时长")

        class Meta:
            db_table = VARIANT.tables["user_course"]
            verbose_name = "用户课程购买记录"
            verbose_name_plural = verbose_name
