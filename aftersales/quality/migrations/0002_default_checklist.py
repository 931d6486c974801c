"""Every installation starts with the 4S service-standard checklist (服务4S标准), fined 30 元 per violation."""

from decimal import Decimal

from django.db import migrations

ITEMS = [
    ("S01", "按预约时间准时到达，迟到提前告知客户"),
    ("S02", "统一着装，佩戴工牌"),
    ("S03", "进门穿鞋套，自我介绍并出示工单"),
    ("S04", "使用文明用语，不与客户争执"),
    ("S05", "施工前铺设保护垫，保护地面、墙面和室内摆设"),
    ("S06", "工具、材料摆放整齐"),
    ("S07", "不在客户家吸烟、饮食，不接受馈赠"),
    ("S08", "按图纸和安装工艺施工"),
    ("S09", "门边线接角严密"),
    ("S10", "门扇开启灵活"),
    ("S11", "门锁功能正常"),
    ("S12", "油漆无刮花"),
    ("S13", "安装钉眼修补到位"),
    ("S14", "完工清理现场，带走垃圾"),
    ("S15", "向客户讲解使用和保养方法"),
    ("S16", "自检合格后请客户验收签字"),
]


def create_checklist(apps, schema_editor):
    Checklist = apps.get_model("quality", "Checklist")
    ChecklistItem = apps.get_model("quality", "ChecklistItem")
    checklist, created = Checklist.objects.get_or_create(
        code="4S",
        defaults={"name": "服务4S标准（安装）", "fine_amount": Decimal("30.00"), "is_default": True, "active": True},
    )
    if created:
        ChecklistItem.objects.bulk_create(
            ChecklistItem(checklist=checklist, code=code, text=text, position=index)
            for index, (code, text) in enumerate(ITEMS, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(create_checklist, migrations.RunPython.noop)]
