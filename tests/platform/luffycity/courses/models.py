"""Courses as the site keeps them (fg_course_info), with the chapter and lesson tables the user
course rows point at. Only what Paydesk reads or what makes a row valid is here; the site's
direction/category/teacher/activity tables are left out (the coupon's to_direction etc. are then
empty lists, as on a site without them)."""

from django.db import models

from luffycityapi.models import BaseModel
from luffycityapi.variant import VARIANT


class Course(BaseModel):
    course_type_choices = ((0, "付费购买"), (1, "会员专享"), (2, "学位课程"))
    level_choices = ((0, "初级"), (1, "中级"), (2, "高级"))
    status_choices = ((0, "上线"), (1, "下线"), (2, "预上线"))

    course_cover = models.ImageField(upload_to="course/cover", max_length=255, blank=True, null=True, verbose_name="封面图片")
    course_type = models.SmallIntegerField(choices=course_type_choices, default=0, verbose_name="付费类型")
    level = models.SmallIntegerField(choices=level_choices, default=1, verbose_name="难度等级")
    description = models.TextField(null=True, blank=True, verbose_name="详情介绍")
    pub_date = models.DateField(auto_now_add=True, verbose_name="发布日期")
    period = models.IntegerField(default=7, verbose_name="建议学习周期(day)")
    status = models.SmallIntegerField(choices=status_choices, default=0, verbose_name="课程状态")
    students = models.IntegerField(default=0, verbose_name="学习人数")
    lessons = models.IntegerField(default=0, verbose_name="总课时数量")
    pub_lessons = models.IntegerField(default=0, verbose_name="已更新课时数量")
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0, verbose_name="课程原价")
    # The most credits this course can absorb in one order (null: none).
    credit = models.IntegerField(blank=True, null=True, default=0, verbose_name="积分")

    class Meta:
        db_table = VARIANT.tables["course"]
        verbose_name = "课程信息"
        verbose_name_plural = verbose_name


class CourseChapter(BaseModel):
    orders = models.SmallIntegerField(default=1, verbose_name="第几章")
    summary = models.TextField(blank=True, null=True, verbose_name="章节介绍")
    pub_date = models.DateField(auto_now_add=True, verbose_name="发布日期")
    course = models.ForeignKey(Course, related_name="chapter_list", on_delete=models.CASCADE, db_constraint=False, verbose_name="课程名称")

    class Meta:
        db_table = "fg_course_chapter"
        verbose_name = "课程章节"
        verbose_name_plural = verbose_name


class CourseLesson(BaseModel):
    lesson_type_choices = ((0, "文档"), (1, "练习"), (2, "视频"))

    orders = models.SmallIntegerField(default=1, verbose_name="第几节")
    lesson_type = models.SmallIntegerField(default=2, choices=lesson_type_choices, verbose_name="课时种类")
    lesson_link = models.CharField(max_length=255, blank=True, null=True, verbose_name="课时链接")
    duration = models.CharField(blank=True, null=True, max_length=32, verbose_name="时长")
    pub_date = models.DateTimeField(auto_now_add=True, verbose_name="发布时间")
    free_trail = models.BooleanField(default=False, verbose_name="是否可试看")
    chapter = models.ForeignKey(CourseChapter, related_name="lesson_list", on_delete=models.CASCADE, db_constraint=False, verbose_name="课程章节")
    course = models.ForeignKey(Course, related_name="lesson_list", on_delete=models.DO_NOTHING, db_constraint=False, verbose_name="课程")

    class Meta:
        db_table = "fg_course_lesson"
        verbose_name = "课程课时"
        verbose_name_plural = verbose_name
